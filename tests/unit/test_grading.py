"""Grading: tolerances, the verdict order, messages that never give the answer away, multiple choice."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import QuizStep, Tolerance
from ce_tutor.quiz import Variant, Verdict, draw_variant, format_answer, grade, within_tolerance


def quiz(**fields: object) -> QuizStep:
    return validate(QuizStep, {"type": "quiz", "id": "q1", "prompt": "?", **fields})


def variant_of(step: QuizStep, seed: int = 3) -> Variant:
    return draw_variant(step, {}, "lesson", seed)


def fixed(answer: float, values: dict[str, object] | None = None) -> Variant:
    """A numeric variant with a given exact answer."""
    return Variant("lesson", "q1", 0, 0, values or {}, "?", answer, (), frozenset())


CE = quiz(
    params={"p": {"uniform": [0.57, 0.57]}},
    answer="-ln(p)",
    answer_format=".3f",
    misconceptions=[
        {"answer": "ln(p)", "feedback": "Mind the sign: ln {p} is negative, so -ln {p} is positive."},
        {"answer": "1 - p", "feedback": "1 - p is the probability of the other classes."},
    ],
)
LN_057 = -math.log(0.57)


# -- within_tolerance -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected", "tol", "ok"),
    [
        (1.0099, 1.0, Tolerance(), True),  # neither given: rtol 0.01
        (1.0101, 1.0, Tolerance(), False),
        (1.04, 1.0, Tolerance(rtol=0.05), True),
        (1.06, 1.0, Tolerance(rtol=0.05), False),
        (100.009, 100.0, Tolerance(atol=0.01), True),  # only atol: rtol is 0
        (100.02, 100.0, Tolerance(atol=0.01), False),
        (1.0, 0.0, Tolerance(rtol=0.5), False),  # relative tolerance of zero is zero
        (0.005, 0.0, Tolerance(atol=0.01), True),
        (0.562, 0.5624, Tolerance(sigfigs=3), True),
        (0.563, 0.5624, Tolerance(sigfigs=3), False),
        (0.56, 0.5624, Tolerance(sigfigs=3), False),
        (-0.562, -0.5624, Tolerance(sigfigs=3), True),
        (0.562, -0.5624, Tolerance(sigfigs=3), False),
        (0.562, 0.5625, Tolerance(sigfigs=3), True),  # a tie may round either way
        (0.563, 0.5625, Tolerance(sigfigs=3), True),
        (0.0, 0.0, Tolerance(sigfigs=2), True),
        (1e-9, 0.0, Tolerance(sigfigs=2), False),
        (1230.0, 1234.0, Tolerance(sigfigs=3), True),
    ],
)
def test_within_tolerance(value: float, expected: float, tol: Tolerance, ok: bool) -> None:
    assert within_tolerance(value, expected, tol) is ok


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
tolerances = st.one_of(
    st.builds(Tolerance, rtol=st.floats(0, 1)),
    st.builds(Tolerance, atol=st.floats(0, 10)),
    st.builds(Tolerance, rtol=st.floats(0, 1), atol=st.floats(0, 10)),
    st.builds(Tolerance, sigfigs=st.integers(1, 10)),
)


@settings(deadline=None)
@given(finite, tolerances)
def test_the_exact_answer_is_always_correct(expected: float, tol: Tolerance) -> None:
    step = quiz(answer="0", tolerance={k: v for k, v in dataclasses.asdict(tol).items() if v is not None})
    assert within_tolerance(expected, expected, tol)
    assert grade(step, fixed(expected), repr(expected)).verdict is Verdict.CORRECT


@settings(deadline=None)
@given(st.floats(min_value=1e-200, max_value=1e200), st.booleans(), st.floats(min_value=1e-4, max_value=0.5))
def test_twice_the_relative_tolerance_away_is_not_correct(size: float, negative: bool, rtol: float) -> None:
    expected = -size if negative else size
    step = quiz(answer="0", tolerance={"rtol": rtol})
    off = expected * (1 + 2 * rtol)
    assert not within_tolerance(off, expected, Tolerance(rtol=rtol))
    assert grade(step, fixed(expected), repr(off)).verdict is not Verdict.CORRECT


# -- numeric verdicts -----------------------------------------------------------------------------------------
def test_correct_with_a_plain_number_shows_the_exact_value() -> None:
    feedback = grade(CE, variant_of(CE), "0.562")
    assert feedback.verdict is Verdict.CORRECT and feedback.counts_as_attempt
    assert feedback.message == "Correct! The answer is 0.562."
    assert feedback.value == 0.562 and feedback.expected == pytest.approx(LN_057)


def test_correct_with_a_formula_echoes_it() -> None:
    feedback = grade(CE, variant_of(CE), " -ln(0.57) ")
    assert feedback.verdict is Verdict.CORRECT
    assert feedback.message == "Correct: -ln(0.57) = 0.562."
    nearly = grade(CE, variant_of(CE), "0.56 + 0.001")
    assert nearly.verdict is Verdict.CORRECT
    assert nearly.message == "Correct: 0.56 + 0.001 = 0.561 (the answer is 0.562)."


def test_misconceptions_are_recognised_and_their_feedback_rendered() -> None:
    variant = variant_of(CE)
    sign = grade(CE, variant, "-0.562")
    assert sign.verdict is Verdict.MISCONCEPTION and sign.counts_as_attempt
    assert sign.message == "Mind the sign: ln 0.57 is negative, so -ln 0.57 is positive."
    other = grade(CE, variant, "0.43")
    assert other.verdict is Verdict.MISCONCEPTION and other.message.startswith("1 - p is")


def test_a_misconception_equal_to_the_answer_never_hides_a_right_answer() -> None:
    step = quiz(answer="2 * 2", misconceptions=[{"answer": "2 + 2", "feedback": "You added."}])
    assert grade(step, variant_of(step), "4").verdict is Verdict.CORRECT


def test_a_misconception_that_cannot_be_evaluated_is_skipped() -> None:
    step = quiz(answer="1", misconceptions=[{"answer": "nope", "feedback": "never shown"}])
    assert grade(step, variant_of(step), "3").verdict is Verdict.WRONG


def test_close_when_right_to_the_precision_typed() -> None:
    step = quiz(answer="0.5624", tolerance={"rtol": 0.01})
    feedback = grade(step, variant_of(step), "0.6")
    assert feedback.verdict is Verdict.CLOSE and feedback.counts_as_attempt
    assert feedback.message == "Close — right idea, but not precise enough: give 3 significant figures."
    assert grade(step, variant_of(step), "6e-1").verdict is Verdict.CLOSE


def test_close_when_within_five_tolerances() -> None:
    step = quiz(answer="0.5624", tolerance={"rtol": 0.01})
    assert grade(step, variant_of(step), repr(0.5624 * 1.04)).verdict is Verdict.CLOSE
    assert grade(step, variant_of(step), repr(0.5624 * 1.06)).verdict is Verdict.WRONG


def test_a_number_that_only_matches_by_decimals_is_not_close() -> None:
    # 0.5624 rounded to no decimals is 1, but 1 is a different answer, not an imprecise one.
    step = quiz(answer="0.5624")
    assert grade(step, variant_of(step), "1").verdict is Verdict.WRONG


@pytest.mark.parametrize(
    ("tolerance", "advice"),
    [({"sigfigs": 4}, "4 significant figures"), ({"atol": 0.01}, "2 decimals"), ({"rtol": 0.05}, "2 significant")],
)
def test_close_advice_follows_the_tolerance(tolerance: dict[str, float], advice: str) -> None:
    step = quiz(answer="0.5624", tolerance=tolerance)
    feedback = grade(step, variant_of(step), "0.6")
    assert feedback.verdict is Verdict.CLOSE and advice in feedback.message


@pytest.mark.parametrize(
    ("answer", "typed", "words"),
    [
        ("0.5624", "3", "too big"),
        ("0.5624", "0.01", "too small"),
        ("0.5624", "-3", "check the sign: the answer is positive"),
        ("-0.43", "0.2", "check the sign: the answer is negative"),
        ("-0.43", "-3", "too big in size"),
        ("-0.43", "-0.01", "too small in size"),
        ("0", "-2", "too big in size"),
    ],
)
def test_wrong_says_which_way_without_the_answer(answer: str, typed: str, words: str) -> None:
    step = quiz(answer=answer, answer_format=".3f")
    feedback = grade(step, variant_of(step), typed)
    assert feedback.verdict is Verdict.WRONG and feedback.counts_as_attempt
    assert words in feedback.message
    assert format_answer(step, float(answer)) not in feedback.message


def test_unreadable_costs_no_attempt() -> None:
    feedback = grade(CE, variant_of(CE), "0.5.6")
    assert feedback.verdict is Verdict.UNREADABLE and not feedback.counts_as_attempt
    assert feedback.value is None and "I couldn't read '0.5.6'" in feedback.message


def test_format_answer_falls_back_when_the_lesson_format_cannot_show_the_value() -> None:
    assert format_answer(quiz(answer="1", answer_format=".2f"), 0.5624) == "0.56"
    assert format_answer(quiz(answer="1", answer_format="d"), 0.5624) == "0.5624"


# -- multiple choice -------------------------------------------------------------------------------------
MC = quiz(
    params={"p": {"uniform": [0.7, 0.7]}},
    shuffle=False,  # the tests below name options by their place in the file
    choices=[
        {"text": "0", "correct": False, "feedback": "Only for p = 1."},
        {"text": "-ln {p}", "correct": "p > 0.5", "feedback": "Yes: -ln {p}."},
        {"text": "1 - {p}", "correct": False},
    ],
)


@pytest.mark.parametrize("typed", ["b", "B", "(b)", "b)", " 2 ", "2.", "(2)"])
def test_choice_by_letter_or_number(typed: str) -> None:
    feedback = grade(MC, variant_of(MC), typed)
    assert feedback.verdict is Verdict.CORRECT and feedback.counts_as_attempt
    assert feedback.message == "Correct! Yes: -ln 0.7."


def test_a_wrong_choice_gives_its_feedback_or_a_plain_message() -> None:
    variant = variant_of(MC)
    assert grade(MC, variant, "a").message == "Only for p = 1."
    plain = grade(MC, variant, "3")
    assert plain.verdict is Verdict.WRONG and "isn't right" in plain.message


@pytest.mark.parametrize("typed", ["", "d", "4", "0", "zz", "b c", "-1"])
def test_an_unreadable_choice_costs_nothing(typed: str) -> None:
    feedback = grade(MC, variant_of(MC), typed)
    assert feedback.verdict is Verdict.UNREADABLE and not feedback.counts_as_attempt
    assert "1 to 3, or a to c" in feedback.message


any_tolerance = st.one_of(
    st.builds(Tolerance, rtol=st.floats(0, 1), atol=st.one_of(st.none(), st.floats(0, allow_nan=False, allow_infinity=False))),
    st.builds(Tolerance, sigfigs=st.integers(1, 10)),
)


@settings(deadline=None, max_examples=300)
@example(-1e308, Tolerance(atol=1e308), "1e308")  # the difference overflows to infinity
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    any_tolerance,
    st.one_of(st.text(max_size=30), st.floats(allow_nan=False, allow_infinity=False).map(repr)),
)
def test_grading_any_text_gives_feedback(expected: float, tol: Tolerance, text: str) -> None:
    step = quiz(answer="0", tolerance={k: v for k, v in dataclasses.asdict(tol).items() if v is not None})
    feedback = grade(step, fixed(expected), text)
    assert feedback.message and feedback.counts_as_attempt is (feedback.verdict is not Verdict.UNREADABLE)


def test_shuffled_options_are_graded_and_explained_by_what_they_say() -> None:
    shuffled = quiz(params=MC.params, choices=MC.choices)
    seen = set()
    for seed in range(30):
        variant = draw_variant(shuffled, {}, "lesson", seed)
        seen.add(variant.options)
        right = variant.options.index("-ln 0.7")
        zero = variant.options.index("0")
        assert variant.correct_options == frozenset({right})
        assert grade(shuffled, variant, str(right + 1)).message == "Correct! Yes: -ln 0.7."
        assert grade(shuffled, variant, chr(ord("a") + zero)).message == "Only for p = 1."
    assert len(seen) == 6  # every order of three options turns up


def test_a_misconception_is_named_even_when_the_answer_is_also_close() -> None:
    """Rounding along the way lands within 'close' of the answer; the feedback must say what went wrong."""
    step = quiz(
        params={"pa": {"uniform": [0.08, 0.08]}, "pb": {"uniform": [0.47, 0.47]}},
        answer="-ln(pa) - ln(pb)",
        tolerance={"atol": 0.006},
        misconceptions=[{"answer": "round(-ln(pa), 2) + round(-ln(pb), 2)", "feedback": "Rounding along the way."}],
    )
    variant = variant_of(step)
    rounded = round(-math.log(0.08), 2) + round(-math.log(0.47), 2)  # 2.53 + 0.76 = 3.29; exact 3.2808
    exact = -math.log(0.08) - math.log(0.47)
    assert abs(rounded - exact) < 5 * 0.006  # so without the misconception it would be "close"
    feedback = grade(step, variant, f"{rounded:.2f}")
    assert feedback.verdict is Verdict.MISCONCEPTION and feedback.message == "Rounding along the way."
    without = dataclasses.replace(step, misconceptions=[])
    assert grade(without, variant, f"{rounded:.2f}").verdict is Verdict.CLOSE
