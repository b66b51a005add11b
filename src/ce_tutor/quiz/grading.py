"""Grading one typed answer against a variant: a :class:`Verdict` and a message for the learner.

Numeric quizzes are checked in this order, so a known mistake whose value happens to equal the right
answer can never hide a right answer:

1. unreadable (:class:`~ce_tutor.quiz.answers.AnswerError`): the message says what to type; no attempt;
2. correct: within the quiz's tolerance of the exact answer;
3. misconception: within the tolerance of a known wrong answer; its feedback explains the mistake;
4. close: right, but not precise enough: the learner's number is the exact answer rounded to the
   significant figures they typed (0.6 for 0.5624), or lies within 5 times the tolerance;
5. wrong: the message says whether the answer is too big or too small, or has the wrong sign.

Close counts as an attempt (it is recorded), but it is not a wrong answer: the learner has the method, so
it unlocks no hint and does not bring the worked solution nearer (see :class:`~ce_tutor.quiz.QuizSession`).

Close uses significant figures, not decimals: by decimals, "1" would be close to 0.5624 (rounding 0.5624
to no decimals gives 1), which is a different answer, not an imprecise one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from ce_tutor.lessons.schema import QuizStep, Tolerance
from ce_tutor.lessons.template import format_value
from ce_tutor.quiz.answers import AnswerError, Reading, read_answer, shown
from ce_tutor.quiz.variants import Variant, VariantError, number

DEFAULT_RTOL = 0.01  #: the relative tolerance when a Tolerance gives neither rtol nor atol
CLOSE_FACTOR = 5  #: answers within this many tolerances of the right one are "close"
_FALLBACK_FORMAT = ".4g"  # when a lesson's answer_format cannot show a value
_OPTION = re.compile(r"\(?\s*([a-z]|[0-9]{1,3})\s*[).:]?", re.IGNORECASE)


class Verdict(StrEnum):
    CORRECT = "correct"
    CLOSE = "close"  #: right, but not precise enough
    MISCONCEPTION = "misconception"  #: a known wrong answer, with feedback that explains it
    WRONG = "wrong"
    UNREADABLE = "unreadable"  #: not an answer at all: costs no attempt


@dataclass(frozen=True)
class Feedback:
    """The outcome of one answer. ``value`` is the number read, ``expected`` the exact answer (numeric
    quizzes only; the message never reveals it unless the answer was correct)."""

    verdict: Verdict
    message: str
    value: float | None
    expected: float | None
    counts_as_attempt: bool


def within_tolerance(value: float, expected: float, tol: Tolerance) -> bool:
    """Whether ``value`` is an acceptable ``expected``.

    rtol/atol: ``|value - expected| <= atol + rtol * |expected|``. Significant figures: both round to the
    same ``sigfigs`` significant figures, or ``value`` lies within half a unit in the last of them (so
    0.5625 may be given as 0.562 or 0.563).
    """
    if tol.sigfigs is not None and _round_sig(value, tol.sigfigs) == _round_sig(expected, tol.sigfigs):
        return True
    return abs(value - expected) <= _allowance(expected, tol)


def format_answer(step: QuizStep, value: float) -> str:
    """``value`` shown with the quiz's ``answer_format`` (a format that cannot show it falls back to .4g)."""
    try:
        return format_value(value, step.answer_format)
    except ValueError:
        return format_value(value, _FALLBACK_FORMAT)


def grade(step: QuizStep, variant: Variant, text: str) -> Feedback:
    """Grade the learner's ``text`` for ``variant`` of ``step``. Never raises for any text."""
    if step.is_choice:
        return _grade_choice(step, variant, text)
    expected = variant.answer
    assert expected is not None  # a numeric quiz always has an answer
    try:
        reading = read_answer(text)
    except AnswerError as exc:
        return Feedback(Verdict.UNREADABLE, str(exc), None, expected, counts_as_attempt=False)
    value = reading.value

    def verdict(kind: Verdict, message: str) -> Feedback:
        return Feedback(kind, message, value, expected, counts_as_attempt=True)

    if within_tolerance(value, expected, step.tolerance):
        return verdict(Verdict.CORRECT, _correct_message(step, text, reading, expected))
    for misconception in step.misconceptions:
        try:
            wrong = number(misconception.answer, variant.values, "misconception")
        except VariantError:
            continue  # a lesson problem, reported by `ce-tutor check`
        if within_tolerance(value, wrong, step.tolerance):
            return verdict(Verdict.MISCONCEPTION, variant.render(misconception.feedback))
    if _is_close(reading, expected, step.tolerance):
        advice = _precision_advice(expected, step.tolerance)
        return verdict(Verdict.CLOSE, f"Close — right idea, but not precise enough: give {advice}.")
    return verdict(Verdict.WRONG, _wrong_message(value, expected))


# -- numeric -----------------------------------------------------------------------------------------------
def _round_sig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures (0 stays 0, the sign is kept)."""
    return float(f"{x:.{n - 1}e}")


def _allowance(expected: float, tol: Tolerance) -> float:
    """How far from ``expected`` an answer may be."""
    if tol.sigfigs is not None:  # half a unit in the last significant figure
        if expected == 0:
            return 0.0
        exponent = int(f"{expected:.{tol.sigfigs - 1}e}".split("e")[1])
        return 0.5 * 10.0 ** (exponent - tol.sigfigs + 1)
    rtol = tol.rtol if tol.rtol is not None else (0.0 if tol.atol is not None else DEFAULT_RTOL)
    return (tol.atol or 0.0) + rtol * abs(expected)


def _is_close(reading: Reading, expected: float, tol: Tolerance) -> bool:
    """Right to the precision typed (0.6 for 0.5624), or within CLOSE_FACTOR tolerances."""
    value, typed = reading.value, reading.significant_figures
    if typed is not None and math.isclose(_round_sig(expected, typed), value, rel_tol=1e-12):
        return True
    return abs(value - expected) <= CLOSE_FACTOR * _allowance(expected, tol)


def _precision_advice(expected: float, tol: Tolerance) -> str:
    """What precision the tolerance asks for, in words ("3 significant figures", "2 decimals")."""
    if tol.sigfigs is not None:
        return _plural(tol.sigfigs, "significant figure")
    allowance = _allowance(expected, tol)
    if allowance == 0:
        return "the exact value (you may type it as a formula, such as 1/3)"
    if not tol.atol:  # purely relative: half a unit in the last figure must stay within rtol
        return _plural(_digits_for(allowance / abs(expected)) + 1, "significant figure")
    decimals = _digits_for(allowance)
    return _plural(decimals, "decimal") if decimals > 0 else "a whole number"


def _digits_for(allowance: float) -> int:
    """The fewest digits d with half of 10**-d within ``allowance``."""
    return math.ceil(-math.log10(allowance) - math.log10(2) - 1e-9)  # not log10(2 * a): 2 * a may overflow


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _correct_message(step: QuizStep, text: str, reading: Reading, expected: float) -> str:
    answer = format_answer(step, expected)
    if reading.significant_figures is not None:  # a plain number
        return f"Correct! The answer is {answer}."
    theirs = format_answer(step, reading.value)
    detail = "" if theirs == answer else f" (the answer is {answer})"
    return f"Correct: {shown(text, 60)} = {theirs}{detail}."


def _wrong_message(value: float, expected: float) -> str:
    """Which way the answer is off, without giving the answer away."""
    if value * expected < 0:
        return f"Not quite — check the sign: the answer is {'positive' if expected > 0 else 'negative'}."
    size = "too big" if abs(value) > abs(expected) else "too small"
    if value < 0 or expected < 0:
        size += " in size (ignoring the minus sign)"
    return f"Not quite: your answer is {size}. Try again."


# -- multiple choice ---------------------------------------------------------------------------------------
def _grade_choice(step: QuizStep, variant: Variant, text: str) -> Feedback:
    """The learner types an option's number (1-based) or letter: "2", "b", "B", "(b)", "b)"."""
    choices = step.choices or []
    picked = _option_index(text, len(choices))
    if picked is None:
        last = chr(ord("a") + len(choices) - 1)
        message = f"Type the number or the letter of an option: 1 to {len(choices)}, or a to {last}."
        return Feedback(Verdict.UNREADABLE, message, None, None, counts_as_attempt=False)
    feedback = choices[variant.order[picked] if variant.order else picked].feedback
    said = "" if feedback is None else " " + variant.render(feedback)
    if picked in variant.correct_options:
        return Feedback(Verdict.CORRECT, "Correct!" + said, None, None, counts_as_attempt=True)
    message = said.strip() or "Not quite: that option isn't right. Try again."
    return Feedback(Verdict.WRONG, message, None, None, counts_as_attempt=True)


def _option_index(text: str, n_options: int) -> int | None:
    """The 0-based option a learner's text names, or None."""
    match = _OPTION.fullmatch(text.strip())
    if match is None:
        return None
    key = match.group(1).lower()
    index = int(key) - 1 if key.isdigit() else ord(key) - ord("a")
    return index if 0 <= index < n_options else None
