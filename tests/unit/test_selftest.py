"""The quiz self-test behind `ce-tutor check`: each kind of lesson defect is caught, once, reproducibly."""

from __future__ import annotations

import re

import pytest

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz import VariantError, draw_variant, selftest

GOOD = {
    "type": "quiz",
    "id": "ce",
    "params": {"p": {"uniform": [0.05, 0.95], "round": 2}},
    "derived": {"loss": "-ln(p)"},
    "prompt": "p = {p}. Cross-entropy?",
    "answer": "loss",
    "answer_format": ".4f",
    "hints": ["-ln of {p}"],
    "misconceptions": [{"answer": "ln(p)", "feedback": "sign: ln {p} < 0"}],
    "solution": ["Take p = {p}.", "-ln({p}) = {loss:.4f}"],
}
CHOICE = {
    "type": "quiz",
    "id": "mc",
    "params": {"p": {"uniform": [0.1, 0.9]}},
    "prompt": "p = {p}?",
    "choices": [
        {"text": "-ln {p}", "correct": True, "feedback": "yes"},
        {"text": "ln {p}", "correct": False, "feedback": "sign"},
    ],
}


def check(base: dict[str, object], variants: int = 30, **changes: object) -> list[str]:
    step = validate(QuizStep, {**base, **changes})
    return selftest(step, {}, "lesson", variants=variants)


def only(problems: list[str], *words: str) -> str:
    assert len(problems) == 1, problems
    assert all(w in problems[0] for w in words), problems[0]
    return problems[0]


def test_sound_quizzes_have_no_problems() -> None:
    assert check(GOOD, variants=200) == []
    assert check(CHOICE, variants=200) == []


def test_a_problem_in_every_variant_is_reported_once_with_a_count() -> None:
    only(check(GOOD, prompt="p = {q}"), "cannot draw", "unknown name 'q'", "in 30 of 30 variants")


def test_non_finite_answers_are_reported_with_a_reproducible_example() -> None:
    step = validate(QuizStep, 
        {"type": "quiz", "id": "inv", "params": {"n": {"randint": [0, 3]}}, "prompt": "1/{n}?", "answer": "1/n"}
    )
    line = only(selftest(step, {}, "lesson", variants=40), "cannot draw", "not a finite number", "n=0")
    seed = int(re.search(r"seed (\d+)", line).group(1))
    with pytest.raises(VariantError, match="not a finite number"):
        draw_variant(step, {}, "lesson", seed)


def test_unmeetable_require_is_reported() -> None:
    only(check(GOOD, require=["p > 0", "p > 2"]), "require", "'p > 2'")


def test_a_misconception_that_agrees_with_the_answer_is_reported() -> None:
    problems = check(GOOD, misconceptions=[{"answer": "ln(1/p)", "feedback": "x"}, {"answer": "ln(p)", "feedback": "y"}])
    only(problems, "misconception 1 ('ln(1/p)')", "agrees with the right answer")


def test_a_misconception_that_cannot_be_evaluated_is_reported() -> None:
    only(check(GOOD, misconceptions=[{"answer": "ln(q)", "feedback": "x"}]), "misconception 1", "unknown name 'q'")


def test_a_solution_that_does_not_arrive_at_the_answer_is_reported() -> None:
    only(check(GOOD, solution=["-ln({p}) = ?", "So it is {p}."]), "last solution step", "no value equal to the answer")


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"hints": ["fine {p}", "broken {q}"]}, "hint 2"),
        ({"solution": ["{p:d}", "{loss}"]}, "solution step 1"),
        ({"misconceptions": [{"answer": "ln(p)", "feedback": "{nope}"}]}, "misconception 1 feedback"),
        ({"hints": ["unbalanced {p"]}, "hint 1"),
    ],
)
def test_texts_that_cannot_be_filled_are_reported(changes: dict[str, object], where: str) -> None:
    only(check(GOOD, **changes), where)


def test_an_answer_format_too_coarse_for_the_tolerance_is_reported() -> None:
    only(check(GOOD, answer_format=".1f"), "answer_format '.1f'", "does not accept")


def test_an_answer_format_that_cannot_show_the_answer_is_reported() -> None:
    only(check(GOOD, answer_format="d"), "answer_format 'd'", "cannot show the answer")


def test_choice_quiz_defects_are_reported() -> None:
    no_right = [{"text": "a {p}", "correct": "p > 2"}, {"text": "b", "correct": False}]
    only(check(CHOICE, choices=no_right), "no option is correct")
    broken_text = [{"text": "a {q}", "correct": True}, {"text": "b", "correct": False}]
    only(check(CHOICE, choices=broken_text), "cannot show the question")
    broken_feedback = [{"text": "a", "correct": True, "feedback": "{q}"}, {"text": "b", "correct": False}]
    only(check(CHOICE, choices=broken_feedback), "option 1 feedback")
    same = [{"text": "{p:.0f}", "correct": True}, {"text": "{p/2:.0f}", "correct": False}]
    only(check(CHOICE, choices=same), "options", "read the same")


def test_the_self_test_is_deterministic() -> None:
    step = validate(QuizStep, {**GOOD, "answer": "ln(p - 0.5)"})
    first = selftest(step, {}, "lesson", variants=50, seed=5)
    assert first and first == selftest(step, {}, "lesson", variants=50, seed=5)
