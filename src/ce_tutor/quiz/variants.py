"""Drawing a quiz variant: the random values of one instance of a quiz, and what follows from them.

A variant is reproducible from its seed. :func:`variant_seed` derives the seed from the learner's seed,
the lesson, the quiz and the variant's index with BLAKE2b (never Python's ``hash()``, which changes from
run to run), so a learner gets the same numbers on every machine, and different learners get different
ones.

Parameters are rounded as they are drawn, *before* derived values and the answer are computed, so every
number the learner is graded against follows from exactly the numbers on the screen.

Draws come from the standard library's Mersenne Twister, built on ``random()`` alone: Python promises
that ``random()`` gives the same sequence for the same seed in every version, which it does not promise
for ``uniform``, ``gauss`` or ``randint``, so a learner's numbers survive an upgrade. (numpy's generators
would do as well, but importing ``numpy.random`` costs the app about 3 MiB for these few numbers.)
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ce_tutor import formula
from ce_tutor.lessons import template
from ce_tutor.lessons.schema import Choice, Normal, Option, ParamSpec, QuizStep, RandInt, Uniform
from ce_tutor.lessons.values import compute, round_value


class VariantError(Exception):
    """A quiz cannot be drawn: a lesson problem that ``ce-tutor check`` reports.

    ``values`` holds the values of the last draw, when there was one, so the problem can be reproduced.
    """

    def __init__(self, message: str, values: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.values = values


@dataclass(frozen=True)
class Variant:
    """One instance of a quiz, with its values drawn and its texts rendered."""

    lesson_id: str
    quiz_id: str
    seed: int
    index: int
    values: Mapping[str, object]  #: the lesson's values, the quiz's params and derived values (as shown)
    prompt: str
    answer: float | None  #: numeric quizzes: the exact right answer
    options: tuple[str, ...]  #: multiple choice: the rendered option texts, in the order shown
    correct_options: frozenset[int]  #: multiple choice: 0-based positions (as shown) of the correct options
    #: multiple choice: ``order[k]`` is the index in the lesson file of the option shown at position k
    order: tuple[int, ...] = ()

    def render(self, text: str) -> str:
        """Fill ``text`` with this variant's values; a broken placeholder becomes a note, never an error.

        For texts shown after the prompt (hints, feedback, solution steps): ``ce-tutor check`` reports
        their problems, and a learner should still get on with the quiz if one slipped through.
        """
        try:
            return template.render(text, self.values)
        except template.TemplateError as exc:
            return f"(This text could not be filled in: {exc}.)"


def variant_seed(learner_seed: int, lesson_id: str, quiz_id: str, index: int) -> int:
    """The seed of variant ``index`` of a quiz for a learner: stable everywhere, and a non-negative 63-bit int
    (so it fits a signed 64-bit database column)."""
    key = f"{learner_seed}\x1f{lesson_id}\x1f{quiz_id}\x1f{index}".encode()
    digest = hashlib.blake2b(key, digest_size=8, person=b"ce-tutor-variant").digest()
    return int.from_bytes(digest, "big") >> 1


def number(source: str, values: Mapping[str, object], what: str) -> float:
    """Evaluate ``source`` to one finite float, or raise VariantError naming ``what`` it is."""
    try:
        value = formula.parse(source).evaluate(values)
    except formula.FormulaError as exc:
        raise VariantError(f"{what} '{source}': {exc}", values) from None
    if isinstance(value, bool) or np.ndim(value) != 0:
        kind = "true/false" if isinstance(value, bool) else f"{np.size(value)} values"
        raise VariantError(f"{what} '{source}' must give one number, not {kind}", values)
    if not np.isfinite(value):
        raise VariantError(f"{what} '{source}' is not a finite number", values)
    return float(value)


def truth(source: str, values: Mapping[str, object], what: str) -> bool:
    """Evaluate ``source`` to one true/false value, or raise VariantError naming ``what`` it is."""
    try:
        value = formula.parse(source).evaluate(values)
    except formula.FormulaError as exc:
        raise VariantError(f"{what} '{source}': {exc}", values) from None
    if np.ndim(value) != 0:
        message = f"{what} '{source}' must give one true/false value, not {np.size(value)} values"
        raise VariantError(message, values)
    return bool(value)


def draw_variant(
    step: QuizStep,
    lesson_env: Mapping[str, object],
    lesson_id: str,
    seed: int,
    index: int = 0,
    max_redraws: int = 200,
) -> Variant:
    """Draw the variant of ``step`` that ``seed`` gives; raise VariantError if the quiz cannot be drawn.

    Values are redrawn (from the same generator) until every ``require`` condition holds, at most
    ``max_redraws`` times. ``index`` is only recorded: the seed alone decides the values.
    """
    if max_redraws < 0:
        raise ValueError(f"max_redraws must be 0 or more, got {max_redraws}")
    values = _values_meeting_requirements(step, lesson_env, random.Random(seed), max_redraws)
    choices = step.choices or []
    order = option_order(seed, len(choices)) if step.shuffle else tuple(range(len(choices)))
    try:
        prompt = template.render(step.prompt, values)
        options = tuple(template.render(choices[i].text, values) for i in order)
    except template.TemplateError as exc:
        raise VariantError(f"cannot show the question: {exc}", values) from None
    answer = None if step.answer is None else number(step.answer, values, "the answer")
    correct = frozenset(k for k, i in enumerate(order) if _is_correct(choices[i], i, values))
    if choices and not correct:
        raise VariantError("no option is correct", values)
    return Variant(
        lesson_id, step.id, seed, index, MappingProxyType(values), prompt, answer, options, correct, order
    )


def option_order(seed: int, n: int) -> tuple[int, ...]:
    """The order in which the ``n`` options of a variant are shown: a shuffle that ``seed`` decides.

    Drawn from its own generator (so the values of a variant do not depend on its options), by
    Fisher-Yates on ``random()`` alone, which is stable across Python versions.
    """
    rng = random.Random(f"ce-tutor options {seed}")
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = _below(i + 1, rng)
        order[i], order[j] = order[j], order[i]
    return tuple(order)


def _is_correct(option: Option, index: int, values: Mapping[str, object]) -> bool:
    if isinstance(option.correct, bool):
        return option.correct
    return truth(option.correct, values, f"the 'correct' of option {index + 1}")


def _values_meeting_requirements(
    step: QuizStep, lesson_env: Mapping[str, object], rng: random.Random, max_redraws: int
) -> dict[str, object]:
    failures: Counter[str] = Counter()
    for _ in range(1 + max_redraws):
        values = _draw_values(step, lesson_env, rng)
        failed = [cond for i, cond in enumerate(step.require) if not truth(cond, values, f"require {i + 1}")]
        if not failed:
            return values
        failures.update(failed)
    worst = failures.most_common(1)[0][0]
    raise VariantError(
        f"no draw met every require condition after {max_redraws} redraws; '{worst}' failed most often", values
    )


def _draw_values(
    step: QuizStep, lesson_env: Mapping[str, object], rng: random.Random
) -> dict[str, object]:
    """The lesson's values, freshly drawn params, then the derived values computed from them."""
    values = dict(lesson_env)
    for name, spec in step.params.items():
        values[name] = _draw_param(name, spec, rng)
    try:
        return compute(step.derived, values)
    except formula.FormulaError as exc:
        raise VariantError(f"derived value {exc}", values) from None


def _draw_param(name: str, spec: ParamSpec, rng: random.Random) -> object:
    """One parameter, rounded as it will be shown."""
    try:
        match spec:
            case Uniform(uniform=(low, high)):
                value: object = round_value(low + (high - low) * rng.random(), spec.round)
            case Normal(normal=(mean, sd)):
                value = round_value(mean + sd * _standard_normal(rng), spec.round)
            case RandInt(randint=(low, high)):
                value = low + _below(high - low + 1, rng)
            case Choice(choice=items):
                value = items[_below(len(items), rng)]
    except (ValueError, OverflowError) as exc:
        raise VariantError(f"param '{name}' cannot be drawn from {spec!r}: {exc}") from None
    if not math.isfinite(value):
        raise VariantError(f"param '{name}' drew {value}, not a finite number, from {spec!r}")
    return value


def _standard_normal(rng: random.Random) -> float:
    """A standard normal number (Box-Muller); ``1 - random()`` lies in (0, 1], so the log is finite."""
    radius = math.sqrt(-2.0 * math.log(1.0 - rng.random()))
    return radius * math.cos(2.0 * math.pi * rng.random())


def _below(n: int, rng: random.Random) -> int:
    """A whole number from 0 to n - 1, each as likely (to within 2**-53 * n)."""
    if n > 2**53:
        raise ValueError("the range is too wide (more than 2**53 numbers)")
    return min(int(rng.random() * n), n - 1)
