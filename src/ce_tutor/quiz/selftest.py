"""The PrairieLearn-style self-test of a quiz, behind ``ce-tutor check``.

It draws many seeded variants and, for each, checks what a learner could run into: a variant that cannot
be drawn (a formula error, an answer that is not a finite number, require conditions that are never met,
no correct option), a text with a placeholder that cannot be filled, a misconception that agrees with the
right answer, a worked solution that does not arrive at the answer, and an answer that, shown with
``answer_format``, would not itself be accepted. Each problem is reported once, with how many variants
had it and an example seed and values to reproduce it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ce_tutor.lessons import template
from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz.grading import Verdict, grade, within_tolerance
from ce_tutor.quiz.variants import Variant, VariantError, draw_variant, number, variant_seed

_EXAMPLE_LIMIT = 160  # characters of example values in a report line


@dataclass
class _Finding:
    message: str
    example: str
    count: int = 0


@dataclass
class _Report:
    """Problems keyed by where they are, so each is reported once however many variants have it."""

    variants: int
    findings: dict[str, _Finding] = field(default_factory=dict)

    def add(self, key: str, message: str, example: str) -> None:
        self.findings.setdefault(key, _Finding(message, example)).count += 1

    def lines(self) -> list[str]:
        return [
            f"{f.message} (in {f.count} of {self.variants} variants; e.g. {f.example})"
            for f in self.findings.values()
        ]


def selftest(
    step: QuizStep, lesson_env: Mapping[str, object], lesson_id: str, variants: int = 200, seed: int = 0
) -> list[str]:
    """Draw ``variants`` variants of ``step`` (seeded from ``seed``) and describe every problem found."""
    report = _Report(variants)
    names = [*step.params, *step.derived]
    for index in range(variants):
        vseed = variant_seed(seed, lesson_id, step.id, index)
        try:
            variant = draw_variant(step, lesson_env, lesson_id, vseed, index)
        except VariantError as exc:
            report.add(str(exc), f"cannot draw: {exc}", _example(vseed, exc.values, names))
            continue
        for where, problem in _problems(step, variant):
            report.add(where, f"{where}: {problem}", _example(vseed, variant.values, names))
    return report.lines()


def _problems(step: QuizStep, variant: Variant) -> Iterator[tuple[str, str]]:
    """(where, what) for each problem of one drawn variant."""
    yield from _unfillable_texts(step, variant)
    if variant.answer is not None:
        yield from _numeric_problems(step, variant, variant.answer)
    repeated = [text for i, text in enumerate(variant.options) if text in variant.options[:i]]
    if repeated:
        yield "options", f"two read the same ('{repeated[0]}'), so a learner cannot tell them apart"


def _unfillable_texts(step: QuizStep, variant: Variant) -> Iterator[tuple[str, str]]:
    texts = [
        *((f"hint {i}", text) for i, text in enumerate(step.hints, 1)),
        *((f"solution step {i}", text) for i, text in enumerate(step.solution, 1)),
        *((f"misconception {i} feedback", m.feedback) for i, m in enumerate(step.misconceptions, 1)),
        *((f"option {i} feedback", o.feedback) for i, o in enumerate(step.choices or [], 1) if o.feedback),
    ]
    for where, text in texts:
        try:
            template.render(text, variant.values)
        except template.TemplateError as exc:
            yield where, str(exc)


def _numeric_problems(step: QuizStep, variant: Variant, answer: float) -> Iterator[tuple[str, str]]:
    tolerance = step.tolerance
    for i, misconception in enumerate(step.misconceptions, 1):
        where = f"misconception {i} ('{misconception.answer}')"
        try:
            wrong = number(misconception.answer, variant.values, "its answer")
        except VariantError as exc:
            yield where, str(exc)
            continue
        if within_tolerance(wrong, answer, tolerance) or within_tolerance(answer, wrong, tolerance):
            yield where, "agrees with the right answer within the tolerance, so the mistake passes as right"
    if step.solution and not _shows_answer(step.solution[-1], variant.values, answer, step):
        yield "the last solution step", "shows no value equal to the answer (it should end with the result)"
    try:
        shown = template.format_value(answer, step.answer_format)
    except ValueError as exc:
        yield f"answer_format '{step.answer_format}'", f"cannot show the answer: {exc}"
        return
    if grade(step, variant, shown).verdict is not Verdict.CORRECT:
        yield (
            f"answer_format '{step.answer_format}'",
            f"shows the answer as {shown}, which the tolerance does not accept; show more digits",
        )


def _shows_answer(text: str, values: Mapping[str, object], answer: float, step: QuizStep) -> bool:
    """Whether one of the placeholders of ``text`` has the answer's value."""
    try:
        expressions = [placeholder.expression for placeholder in template.placeholders(text)]
    except template.TemplateError:
        return False  # reported as unfillable
    for expression in expressions:
        try:
            value = number(expression, values, "placeholder")
        except VariantError:
            continue
        if within_tolerance(value, answer, step.tolerance):
            return True
    return False


def _example(seed: int, values: Mapping[str, object] | None, names: list[str]) -> str:
    """"seed 123: p=0.57, y=2": the seed and the quiz's own values, to reproduce a problem."""
    if not values:
        return f"seed {seed}"
    shown = ", ".join(f"{name}={_show(values[name])}" for name in names if name in values)
    if len(shown) > _EXAMPLE_LIMIT:
        shown = shown[: _EXAMPLE_LIMIT - 1] + "…"
    return f"seed {seed}: {shown}" if shown else f"seed {seed}"


def _show(value: object) -> str:
    try:
        text = template.format_value(value)
    except template.TemplateError:
        return repr(value)
    return f"[{text}]" if ", " in text else text


# -- giveaways: an answer that the options' numbers alone reveal ---------------------------------------------
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")
_STRATEGIES: tuple[tuple[str, Callable[[list[float]], float], Callable[[Sequence[float]], float]], ...] = (
    ("the largest number", max, max),
    ("the smallest number", min, min),
    ("the number largest in size", lambda xs: max(map(abs, xs)), max),
    ("the number smallest in size", lambda xs: min(map(abs, xs)), min),
)


def giveaways(
    step: QuizStep, lesson_env: Mapping[str, object], lesson_id: str, variants: int = 200, seed: int = 0
) -> list[str]:
    """Ways to pass a multiple-choice quiz without its skill, found over ``variants`` seeded variants:

    - the right option is, in every variant, the one showing the largest (or smallest, or largest or
      smallest in size) number, so the numbers printed in the options decide it alone;
    - with ``shuffle: false``, the right option is always in the same place.

    Variants that cannot be drawn are skipped (``selftest`` reports them).
    """
    if not step.is_choice:
        return []
    drawn: list[Variant] = []
    for index in range(variants):
        try:
            drawn.append(draw_variant(step, lesson_env, lesson_id, variant_seed(seed, lesson_id, step.id, index), index))
        except VariantError:
            continue
    if not drawn:
        return []
    found = []
    for words, score, pick in _STRATEGIES:
        if all(_picks_right(v, score, pick) for v in drawn):
            found.append(
                f"the right option is always the one with {words} in it (in all {len(drawn)} variants), "
                "so a learner can find it from the numbers alone; ask so that they do not decide it"
            )
            break
    places = {frozenset(v.correct_options) for v in drawn}
    if not step.shuffle and len(places) == 1 and len(drawn) > 1:
        where = " and ".join(str(i + 1) for i in sorted(next(iter(places))))
        found.append(
            f"with shuffle: false the right option is always option {where} (in all {len(drawn)} variants); "
            "let the options be shuffled, or make the right one move"
        )
    return found


def _picks_right(
    variant: Variant, score: Callable[[list[float]], float], pick: Callable[[Sequence[float]], float]
) -> bool:
    """Whether choosing the option whose numbers score highest (by ``pick``) finds a right option."""
    scores: dict[int, float] = {}
    for i, text in enumerate(variant.options):
        numbers = [float(m) for m in _NUMBER.findall(text)]
        if numbers:
            scores[i] = score(numbers)
    if len(scores) < 2:
        return False
    best = pick(scores.values())
    chosen = [i for i, x in scores.items() if x == best]
    return len(chosen) == 1 and chosen[0] in variant.correct_options
