"""QuizSession: attempts, hints, the worked solution, new variants and what gets recorded."""

from __future__ import annotations

import dataclasses

import pytest

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz import QuizSession, Verdict, VariantError, draw_variant, variant_seed
from ce_tutor.quiz.session import Outcome

STEP = validate(QuizStep, 
    {
        "type": "quiz",
        "id": "ce-of-p",
        "params": {"p": {"uniform": [0.2, 0.9], "round": 2}},
        "prompt": "The model gives the true class p = {p}. What is the cross-entropy?",
        "answer": "-ln(p)",
        "answer_format": ".3f",
        "hints": ["Cross-entropy of one example is -ln of the true class's probability.", "Work out -ln({p})."],
        "misconceptions": [{"answer": "ln(p)", "feedback": "Mind the sign."}],
        "solution": ["The true class has p = {p}.", "-ln({p}) = {-ln(p):.3f}"],
    }
)


class Recorded(list[tuple[str, str, int]]):
    def __call__(self, answer: str, verdict: str, seed: int) -> None:
        self.append((answer, verdict, seed))


def session(step: QuizStep = STEP, **kwargs: object) -> tuple[QuizSession, Recorded]:
    recorded = Recorded()
    return QuizSession(step, {}, "lesson", 42, record=recorded, **kwargs), recorded


def right(s: QuizSession) -> str:
    return repr(s.variant.answer)


def test_the_variant_is_the_learners_seeded_variant() -> None:
    s, _ = session(variant_index=2)
    seed = variant_seed(42, "lesson", "ce-of-p", 2)
    assert s.variant.seed == seed and s.variant.index == 2
    assert s.variant.values == draw_variant(STEP, {}, "lesson", seed, 2).values
    assert (s.attempts, s.solved, s.hints_shown, s.solution_shown, s.finished) == (0, False, [], False, False)
    assert s.last_feedback is None


def test_a_right_answer_solves_the_quiz_and_is_recorded_once() -> None:
    s, recorded = session()
    feedback = s.submit(right(s))
    assert feedback.verdict is Verdict.CORRECT and s.solved and s.finished and s.attempts == 1
    assert s.submit("nonsense") is feedback and s.submit("0") is feedback
    assert recorded == [(right(s), "correct", s.variant.seed)] and s.attempts == 1


def test_each_miss_unlocks_the_next_hint() -> None:
    s, _ = session()
    p = s.variant.values["p"]
    s.submit("100")
    assert s.hints_shown == [STEP.hints[0]]
    s.submit(f"ln({p})")  # a misconception is a miss too
    assert s.hints_shown == [STEP.hints[0], f"Work out -ln({p:g})."]
    assert not s.finished


def test_three_misses_reveal_the_worked_solution() -> None:
    s, recorded = session()
    verdicts = [s.submit(answer).verdict for answer in ("100", "200", "300")]
    assert verdicts == [Verdict.WRONG] * 3
    assert s.solution_shown and s.finished and not s.solved and s.attempts == 3
    assert s.last_feedback is not None and "here is the worked solution" in s.last_feedback.message
    assert [verdict for _, verdict, _ in recorded] == ["wrong"] * 3  # an automatic reveal is not a request
    p = s.variant.values["p"]
    assert s.solution() == [f"The true class has p = {p:g}.", f"-ln({p:g}) = {s.variant.answer:.3f}"]
    assert len(recorded) == 3


def test_max_attempts_sets_when_the_solution_arrives() -> None:
    s, _ = session(max_attempts=1)
    assert "here is the worked solution" in s.submit("100").message and s.solution_shown
    with pytest.raises(ValueError):
        session(max_attempts=0)


def test_after_the_reveal_answers_are_graded_but_not_recorded() -> None:
    s, recorded = session(max_attempts=1)
    s.submit("100")
    feedback = s.submit(right(s))
    assert feedback.verdict is Verdict.CORRECT and not s.solved and s.attempts == 1
    assert s.last_feedback is feedback and len(recorded) == 1


def test_unreadable_answers_cost_nothing_and_are_not_recorded() -> None:
    s, recorded = session()
    feedback = s.submit("0.5.6")
    assert feedback.verdict is Verdict.UNREADABLE and s.last_feedback is feedback
    assert s.attempts == 0 and s.hints_shown == [] and recorded == []


def test_close_counts_as_an_attempt_but_not_as_a_miss() -> None:
    s, recorded = session(max_attempts=1)
    close = f"{s.variant.answer:.1g}"
    assert s.submit(close).verdict is Verdict.CLOSE
    assert s.attempts == 1 and s.hints_shown == [] and not s.finished
    assert recorded == [(close, "close", s.variant.seed)]


def test_the_record_callback_gets_exactly_the_graded_attempts() -> None:
    s, recorded = session()
    for answer in ("", "abc", "100", "0.5.6", right(s), "7"):
        s.submit(answer)
    seed = s.variant.seed
    assert recorded == [("100", "wrong", seed), (right(s), "correct", seed)]
    assert all(type(verdict) is str for _, verdict, _ in recorded)  # plain str, as the store keeps it


def test_hints_on_request_then_none() -> None:
    s, _ = session()
    assert s.hint() == STEP.hints[0]
    assert s.hint() is not None and s.hint() is None
    assert len(s.hints_shown) == 2


def test_asking_for_the_solution_records_a_reveal_once() -> None:
    s, recorded = session()
    steps = s.solution()
    assert len(steps) == 2 and s.solution_shown and s.finished
    s.solution()
    assert recorded == [("", "revealed", s.variant.seed)]


def test_the_solution_after_solving_is_not_a_reveal() -> None:
    s, recorded = session()
    s.submit(right(s))
    s.solution()
    assert [verdict for _, verdict, _ in recorded] == ["correct"]


def test_without_worked_steps_the_solution_is_the_answer() -> None:
    step = dataclasses.replace(STEP, solution=[])
    s, _ = session(step)
    assert s.solution() == [f"The answer is {s.variant.answer:.3f}."]


def test_a_choice_quiz_solution_names_the_right_option() -> None:
    step = validate(QuizStep, 
        {
            "type": "quiz",
            "id": "mc",
            "prompt": "Which is the loss?",
            "shuffle": False,
            "choices": [{"text": "p", "correct": False}, {"text": "-ln p", "correct": True}],
        }
    )
    s, _ = session(step)
    assert s.solution() == ["The answer is option 2 (-ln p)."]
    assert s.submit("b").verdict is Verdict.CORRECT  # still graded after the reveal


def test_a_new_variant_starts_afresh() -> None:
    s, recorded = session()
    s.submit("100")
    s.solution()
    old = s.variant
    new = s.new_variant()
    assert new is s.variant and new.index == old.index + 1 and new.seed != old.seed
    assert new.seed == variant_seed(42, "lesson", "ce-of-p", 1)
    assert (s.attempts, s.hints_shown, s.solution_shown, s.solved, s.last_feedback) == (0, [], False, False, None)
    s.submit(right(s))
    assert recorded[-1] == (right(s), "correct", new.seed)


def test_a_quiz_that_cannot_be_drawn_raises_variant_error() -> None:
    broken = dataclasses.replace(STEP, prompt="{nope}")
    with pytest.raises(VariantError):
        session(broken)


def test_without_a_recorder_nothing_breaks() -> None:
    s = QuizSession(STEP, {}, "lesson", 42)
    assert s.submit("100").verdict is Verdict.WRONG and s.solution()


# -- the outcome, for the review scheduler -----------------------------------------------------------------
def test_the_outcome_of_a_first_try() -> None:
    s, _ = session()
    assert s.outcome == Outcome(solved=False, tries=0, hints=0, revealed=False, seconds=None)
    s.submit(right(s))
    outcome = s.outcome
    assert (outcome.solved, outcome.tries, outcome.hints, outcome.revealed) == (True, 1, 0, False)
    assert outcome.seconds is not None and 0 <= outcome.seconds < 60


def test_the_outcome_counts_over_every_variant() -> None:
    s, _ = session()
    s.submit("123")  # a miss: it also unlocks a hint
    s.new_variant()
    s.submit(right(s))  # right at once on the new variant, but the quiz took two tries and a hint
    assert (s.outcome.solved, s.outcome.tries, s.outcome.hints) == (True, 2, 1)
    s.hint()  # after solving, a hint is only reading
    assert s.outcome.hints == 1


def test_the_outcome_remembers_a_revealed_solution() -> None:
    s, _ = session()
    s.solution()
    s.new_variant()
    s.submit(right(s))
    assert s.outcome.revealed and s.outcome.solved
    t, _ = session()
    for _ in range(3):
        t.submit("123")
    assert t.outcome.revealed and not t.outcome.solved and t.outcome.seconds is None


def test_seed_for_and_shown_hooks() -> None:
    shown: list[int] = []
    s, _ = session(seed_for=lambda index: 1000 + index, shown=shown.append)
    assert s.variant.seed == 1000
    s.new_variant()
    assert s.variant.seed == 1001 and shown == [1000, 1001]


def test_a_hint_asked_for_is_recorded_but_one_a_miss_unlocks_is_not() -> None:
    s, recorded = session()
    s.submit("100")  # unlocks hint 1 by itself
    assert [verdict for _, verdict, _ in recorded] == ["wrong"]
    assert s.hint() == f"Work out -ln({s.variant.values['p']:g})."
    assert recorded[-1] == ("", "hint", s.variant.seed)
    assert s.hint() is None and len(recorded) == 2  # no hint left: nothing recorded
    s.submit(right(s))
    assert [verdict for _, verdict, _ in recorded] == ["wrong", "hint", "correct"]


def test_an_attempt_is_recorded_even_when_filling_in_its_hint_runs_out_of_budget(monkeypatch) -> None:
    """A miss unlocks a hint, which is lesson text: if that runs out of its budget (a hostile lesson), the
    attempt that was counted is still recorded, never counted and lost."""
    from ce_tutor.formula import WorkLimitExceeded

    s, recorded = session()

    def out_of_budget(*args: object) -> None:
        raise WorkLimitExceeded("this quiz takes too long to compute", "time")

    monkeypatch.setattr(s, "_unlock_hint", out_of_budget)
    with pytest.raises(WorkLimitExceeded):
        s.submit("100")
    assert s.attempts == 1
    assert recorded == [("100", "wrong", s.variant.seed)]
