"""parse_answer: what a learner may type, and the messages for what cannot be read."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_tutor.quiz import AnswerError, parse_answer
from ce_tutor.quiz import answers
from ce_tutor.quiz.answers import MAX_LENGTH, read_answer

LN_057 = -math.log(0.57)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.56", 0.56),
        (".56", 0.56),
        ("-0.5", -0.5),
        ("+2", 2.0),
        ("  0.56\t", 0.56),
        ("5.6e-1", 0.56),
        ("5.6E-1", 0.56),
        ("0,56", 0.56),
        ("-0,5", -0.5),
        ("12,5", 12.5),
        ("0,560", 0.56),
        ("1234,567", 1234.567),
        ("1,234e5", 123400.0),
        ("\u22120.5", -0.5),  # unicode minus
        ("\u20130.5", -0.5),  # en dash
        ("2\u00d73", 6.0),  # ×
        ("2\u00b73", 6.0),  # ·
        ("1\u00f74", 0.25),  # ÷
        ("56%", 0.56),
        ("56 %", 0.56),
        ("0,5%", 0.005),
        ("1/3", 1 / 3),
        ("-ln(0.57)", LN_057),
        ("\u2212ln(0,57)", LN_057),
        ("(1-0.57)^2", (1 - 0.57) ** 2),
        ("e", math.e),
        ("pi", math.pi),
        ("log(2)", math.log(2)),
        ("exp(-1)", math.exp(-1)),
        ("max(1,2)", 2.0),  # a comma between a function's arguments stays one
    ],
)
def test_accepted_forms(text: str, expected: float) -> None:
    assert parse_answer(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Type an answer first"),
        ("   ", "Type an answer first"),
        ("0.5.6", "I couldn't read '0.5.6' as a number"),
        ("1,000", "1000 or 1.000"),
        ("1,000,000", "thousands separators"),
        ("-ln(0.57)%", "% sign only works after a plain number"),
        ("1/0", "infinity"),
        ("10^400", "infinity"),
        ("9^9^9^9", "infinity"),
        ("ln(-1)", "not a number"),
        ("inf-inf", "not a number"),
        ("[1, 2]", "One number, please"),
        ("1 < 2", "true/false"),
        ("True", "true/false"),
        ("p*2", "uses the name 'p'"),
        ("0.5\x00", "U+0000"),
        ("0.5 nats\u00e9", "'\u00e9'"),
        ("__import__('os').system('true')", "I couldn't read"),
        ("1" * (MAX_LENGTH + 1), "too long"),
    ],
)
def test_unreadable_answers_get_a_specific_message(text: str, words: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_answer(text)
    assert words in str(caught.value)


def test_the_unreadable_message_says_what_to_type() -> None:
    with pytest.raises(AnswerError) as caught:
        parse_answer("0.5.6")
    assert "0.56" in str(caught.value) and "1/3" in str(caught.value) and "-ln(0.57)" in str(caught.value)


def test_answer_error_is_a_value_error() -> None:
    assert issubclass(AnswerError, ValueError)


def test_long_input_is_refused_before_parsing() -> None:
    # A valid number padded past the cap is refused: the cap comes before anything else.
    with pytest.raises(AnswerError, match="too long"):
        parse_answer("0.5" + " " * MAX_LENGTH)


def test_formulas_share_one_evaluation_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mechanism behind "answered within 100 ms": with no budget left, no formula is evaluated...
    monkeypatch.setattr(answers, "EVALUATION_BUDGET_S", 0.0)
    for text in ("-ln(0.57)", "1/3", "max(1,2)"):
        with pytest.raises(AnswerError, match="took too long"):
            parse_answer(text)
    # ...while plain numbers need no evaluator at all.
    assert parse_answer("0.56") == 0.56 and parse_answer("0,56") == 0.56 and parse_answer("56%") == 0.56


def test_a_quoted_answer_is_shortened_in_the_message() -> None:
    with pytest.raises(AnswerError) as caught:
        parse_answer("0.5.6" * 30)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("text", "figures"),
    [("0.6", 1), ("0.60", 2), ("5.6e-1", 2), ("12", 2), ("0", 1), ("0.0", 1), ("56%", 2), ("0,56", 2),
     ("-ln(0.57)", None), ("1/3", None), ("1e3", 1)],
)
def test_read_answer_tells_the_significant_figures_typed(text: str, figures: int | None) -> None:
    reading = read_answer(text)
    assert reading.significant_figures == figures and reading.value == parse_answer(text)


# -- properties -------------------------------------------------------------------------------------------
FORMULA_ALPHABET = "0123456789.,+-*/^()[]<>=%elnpxaiq \u2212\u00d7\u00f7"


@settings(deadline=None, max_examples=300)
@given(st.one_of(st.text(max_size=250), st.text(alphabet=FORMULA_ALPHABET, max_size=40)))
def test_any_text_gives_a_finite_float_or_an_answer_error(text: str) -> None:
    try:
        value = parse_answer(text)
    except AnswerError as exc:
        assert str(exc)
    else:
        assert isinstance(value, float) and math.isfinite(value)


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_of_any_float_reads_back_exactly(x: float) -> None:
    assert parse_answer(repr(x)) == x


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False))
def test_six_significant_figures_read_back_closely(x: float) -> None:
    # 6 significant figures are within half a unit in the 6th figure: 5e-6 relative, not 1e-6.
    text = f"{x:.6g}"
    assert parse_answer(text) == float(text)
    assert parse_answer(text) == pytest.approx(x, rel=5e-6)


@settings(deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6), st.sampled_from([1, 2, 4, 5, 6]))
def test_decimal_comma_and_unicode_minus_read_the_same(x: float, decimals: int) -> None:
    text = f"{x:.{decimals}f}"
    value = parse_answer(text)
    assert parse_answer(text.replace(".", ",")) == value
    assert parse_answer(text.replace("-", "\u2212")) == value
    assert parse_answer(text.replace("-", "\u2013").replace(".", ",")) == value
