"""LessonRun: moving through a lesson, saving every move, keeping per-step state."""

import pytest

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.player import LessonRun
from ce_tutor.lessons.schema import Lesson
from ce_tutor.progress import ProgressStore

LESSON = validate(Lesson, 
    {
        "schema_version": 1,
        "id": "demo",
        "title": "Demo",
        "summary": "A small lesson.",
        "values": {"p": "softmax([1, 0, 0])[0]"},
        "steps": [
            {"type": "prose", "text": "p is {p:.2f}"},
            {
                "type": "explore",
                "params": [{"name": "q", "min": 0.1, "max": 1, "step": 0.1, "value": 0.5}],
                "show": ["-ln q = {-ln(q):.3f}"],
            },
            {
                "type": "quiz",
                "id": "demo-q",
                "params": {"a": {"uniform": [0.2, 0.9]}},
                "prompt": "What is -ln({a:.2f})?",
                "answer": "-ln(a)",
                "misconceptions": [{"answer": "ln(a)", "feedback": "Mind the sign."}],
                "solution": ["-ln({a:.2f}) = {-ln(a):.3f}"],
            },
        ],
    }
)


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path) as s:
        yield s


def test_moves_are_clamped_and_labelled(store):
    run = LessonRun(LESSON, {"p": 0.58}, store=store)
    assert (run.index, run.position, run.is_first) == (0, "step 1/3", True)
    assert run.previous() is False
    assert run.next() is True and run.position == "step 2/3"
    assert run.go(99) is True and run.is_last
    assert run.go(-5) is True and run.index == 0


def test_every_move_is_saved_and_a_new_run_resumes_there(store):
    run = LessonRun(LESSON, {}, store=store)
    run.next()
    run.next()
    run.previous()
    saved = store.lesson("demo")
    assert (saved.current_step, saved.furthest_step, saved.complete) == (1, 2, False)
    assert LessonRun(LESSON, {}, store=store).index == 1


def test_next_on_the_last_step_completes_the_lesson_and_a_rerun_starts_over(store):
    run = LessonRun(LESSON, {}, store=store, start=2)
    assert run.next() is False
    assert store.lesson("demo").complete
    assert LessonRun(LESSON, {}, store=store).index == 0


def test_render_uses_the_lesson_values():
    run = LessonRun(LESSON, {"p": 0.5761})
    assert run.render(LESSON.steps[0].text) == "p is 0.58"
    assert run.render(None) == ""


def test_explorers_and_quizzes_keep_their_state_per_step(store):
    run = LessonRun(LESSON, {}, store=store, learner_seed=7)
    explorer = run.explorer(1)
    explorer.nudge("q", +1)
    assert run.explorer(1) is explorer and run.explorer(1).values["q"] == pytest.approx(0.6)
    quiz = run.quiz(2)
    assert run.quiz(2) is quiz
    with pytest.raises(TypeError, match="prose step, not a quiz"):
        run.quiz(0)
    with pytest.raises(TypeError, match="not an explorer"):
        run.explorer(2)


def test_graded_attempts_reach_the_store(store):
    run = LessonRun(LESSON, {}, store=store, learner_seed=7, start=2)
    quiz = run.quiz()
    quiz.submit("not a number at all")  # unreadable: costs nothing, is not recorded
    quiz.submit(repr(-quiz.variant.answer))  # the misconception (a missing minus sign)
    quiz.submit(repr(quiz.variant.answer))
    verdicts = [a.verdict for a in store.attempts("demo", "demo-q")]
    assert verdicts == ["misconception", "correct"]
    assert {a.seed for a in store.attempts("demo")} == {quiz.variant.seed}
