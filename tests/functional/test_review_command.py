"""``ce-tutor review`` through the real command: play a lesson in plain mode, move CE_TUTOR_NOW forward,
and review. The due count falls, every review shows values the learner has not seen for that quiz, and
the review log (in the export) holds each review."""

from __future__ import annotations

import json
import re

import pytest

from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.runtime import lesson_env
from ce_tutor.lessons.schema import ExploreStep, QuizStep
from ce_tutor.progress import ProgressStore
from ce_tutor.quiz import draw_variant, variant_seed
from ce_tutor.review.fresh import fresh_seed, shown_values

pytestmark = pytest.mark.slow

SEED = 4242
LESSON = next(lf for lf in load_catalog([shipped_lessons_dir()]).lessons if lf.lesson.id == "softmax")
QUIZZES = [s for s in LESSON.lesson.steps if isinstance(s, QuizStep)]
ENV = lesson_env(LESSON)
DAY0, DAY1 = "2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z"


def right_answer(step: QuizStep, seed: int) -> str:
    variant = draw_variant(step, ENV, "softmax", seed)
    return str(min(variant.correct_options) + 1) if step.is_choice else repr(variant.answer)


def lesson_script() -> str:
    """The first quiz right at once (Good), the second wrong then right (Hard), the third's solution (Again)."""
    lines: list[str] = []
    for step in LESSON.lesson.steps:
        if isinstance(step, ExploreStep):
            lines.append("")  # leave the explorer
        elif isinstance(step, QuizStep):
            seed = variant_seed(SEED, "softmax", step.id, 0)
            right = right_answer(step, seed)
            index = QUIZZES.index(step)
            if index == 1:
                variant = draw_variant(step, ENV, "softmax", seed)
                wrong = "99" if step.is_choice else repr(variant.answer * 3 + 7)
                lines.append(wrong if not step.is_choice else str(
                    next(i for i in range(len(variant.options)) if i not in variant.correct_options) + 1))
            lines += ["solution", ""] if index == 2 else [right]  # after the solution, Enter leaves the quiz
        lines.append("")  # next (on the last step: finish)
    lines.append("q")
    return "\n".join(lines) + "\n"


def due_now(cli, when: str) -> tuple[int, list[str]]:
    listed = cli("review", "--list", env={"CE_TUTOR_NOW": when})
    assert listed.returncode == 0, listed.stderr
    first, *cards = listed.stdout.splitlines()
    match = re.fullmatch(r"(\d+) due now", first)
    assert match, first
    return int(match.group(1)), cards


def next_review_answer(cli) -> tuple[QuizStep, str]:
    """The quiz the review will show first at DAY1, and its right answer, computed from the stored state."""
    with ProgressStore(cli.home) as store:
        card = next(c for c in store.review_cards() if c.due.isoformat() <= "2026-12-02T09:00:00+00:00")
        step = next(q for q in QUIZZES if q.id == card.quiz_id)
        seed = fresh_seed(step, ENV, "softmax", SEED, store.seen_seeds("softmax", step.id))
    return step, right_answer(step, seed)


def test_play_a_lesson_then_review_it_days_later(cli) -> None:
    played = cli("--plain", "softmax", "--seed", str(SEED), input=lesson_script(), env={"CE_TUTOR_NOW": DAY0})
    assert played.returncode == 0, played.stderr
    assert "Lesson complete" in played.stdout

    # Just after the lesson, nothing is due yet; the three quizzes are cards.
    count, cards = due_now(cli, DAY0)
    assert count == 0 and len(cards) == 3
    for line in cards:
        lesson_id, quiz_id, due, stability, reviews = line.split()
        assert lesson_id == "softmax" and quiz_id in {q.id for q in QUIZZES}
        assert due.startswith("2026-12-01T09:") and due.endswith("Z") and float(stability) > 0 and reviews == "1"
    nothing = cli("review", "--plain", env={"CE_TUTOR_NOW": DAY0})
    assert nothing.returncode == 0 and "Nothing is due for review. The next card is due at 2026-12-01T09:01:00Z" in nothing.stdout

    # A day later all three are due. Answer the first right, ask for the second's solution, then stop.
    assert due_now(cli, DAY1)[0] == 3
    step, answer = next_review_answer(cli)
    first = cli("review", "--plain", "--seed", str(SEED), input=f"{answer}\nsolution\n\n", env={"CE_TUTOR_NOW": DAY1})
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "Review: 3 quizzes due" in out and "Review, 1 of 3 due" in out and "Review, 2 of 3 due" in out
    assert f"[softmax/{step.id}]" in out and "Correct" in out and "Rated Good" in out
    assert "Worked solution:" in out and "Rated Again" in out
    assert "Review saved (2 reviewed)" in out
    assert due_now(cli, DAY1)[0] == 1

    # The last one is skipped: rated Again, and nothing is left due.
    last = cli("review", "--plain", input="skip\n", env={"CE_TUTOR_NOW": DAY1})
    assert last.returncode == 0, last.stderr
    assert "Review, 1 of 1 due" in last.stdout and "Skipped, so rated Again" in last.stdout
    said = " ".join(last.stdout.split())  # lines are wrapped to 80 columns
    assert "Review done: 1 reviewed" in said and "The next card is due at 2026-12-02T09:01:00Z" in said
    assert due_now(cli, DAY1)[0] == 0

    # The export holds every review; each review's values differ from every earlier variant of its quiz.
    exported = cli("export")
    data = json.loads(exported.stdout)
    log = data["review_log"]
    assert [(e["source"], e["time"]) for e in log] == [("lesson", "2026-12-01T09:00:00.000000+00:00")] * 3 + [
        ("review", "2026-12-02T09:00:00.000000+00:00")
    ] * 3
    assert sorted(e["rating"] for e in log[:3]) == [1, 2, 3]  # Again, Hard, Good in the lesson
    assert [e["rating"] for e in log[3:]] == [3, 1, 1]  # Good, Again (solution), Again (skipped)
    assert all(c["reviews"] == 2 for c in data["review_cards"])
    for entry in log[3:]:
        step = next(q for q in QUIZZES if q.id == entry["quiz_id"])
        earlier = {a["seed"] for a in data["attempts"] if a["quiz_id"] == step.id and a["time"] < entry["time"]}
        earlier |= {e["seed"] for e in log if e["quiz_id"] == step.id and e["time"] < entry["time"]}
        assert earlier and entry["seed"] not in earlier
        values = shown_values(step, draw_variant(step, ENV, "softmax", entry["seed"]))
        assert all(values != shown_values(step, draw_variant(step, ENV, "softmax", s)) for s in earlier)

    # progress shows the cards; reset forgets them with the lesson.
    progress = cli("progress", env={"CE_TUTOR_NOW": DAY1})  # (the real clock passed these dates on their day)
    assert "Review: 0 due now, 3 cards, 6 reviews in the log." in progress.stdout
    assert cli("reset", "softmax", "--yes").returncode == 0
    assert due_now(cli, DAY1) == (0, [])
    assert json.loads(cli("export").stdout)["review_log"] == []


def test_a_bad_ce_tutor_now_is_a_usage_error(cli) -> None:
    result = cli("review", "--list", env={"CE_TUTOR_NOW": "tomorrow"})
    assert result.returncode == 2
    assert "CE_TUTOR_NOW='tomorrow' is not an ISO 8601 time" in result.stderr and "Traceback" not in result.stderr
