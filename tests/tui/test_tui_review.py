"""The review screen at 80x24: the "Review: N due" row of the lesson list, one due quiz at a time in the
lessons' quiz widget, "n" to skip or move on, Esc back to the lesson list, and `ce-tutor review`'s start."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from textual.widgets import Static

from ce_tutor.progress import ProgressStore
from ce_tutor.quiz.session import Outcome
from ce_tutor.review.session import meet_in_lesson
from ce_tutor.tui.screens.browser import BrowserScreen, LessonDetails
from ce_tutor.tui.screens.review import ReviewHeader, ReviewQuiz, ReviewScreen
from ce_tutor.tui.widgets.lesson_list import REVIEW_ROW, LessonList
from ce_tutor.tui.widgets.quiz import AnswerInput, FeedbackPanel

from ce_tutor.tui.commands import TutorCommands

from tui_helpers import loaded, make_app, shown, type_text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
GOOD = Outcome(solved=True, tries=1, hints=0, revealed=False, seconds=8.0)


def cards_due(data_dir: Path, monkeypatch) -> None:
    """Both quizzes of the 'basics' test lesson met a day ago (so due now)."""
    monkeypatch.setenv("CE_TUTOR_NOW", T0.isoformat())
    with ProgressStore(data_dir) as store:
        for quiz_id in ("neg-log", "which"):
            meet_in_lesson(store, "basics", quiz_id, GOOD, seed=1)
    monkeypatch.setenv("CE_TUTOR_NOW", (T0 + timedelta(days=1)).isoformat())


def footer_keys(screen) -> set[str]:
    """The keys the footer offers now, as "key Description"."""
    return {f"{key} {active.binding.description}" for key, active in screen.active_bindings.items()
            if active.enabled and active.binding.show}


def right_answer(quiz: ReviewQuiz) -> str:
    variant = quiz.session.variant
    return str(min(variant.correct_options) + 1) if variant.options else f"{variant.answer:.4f}"


async def review_from_the_lesson_list(data_dir: Path) -> None:
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        lessons = browser.query_one(LessonList)
        assert lessons.get_option_at_index(0).id == REVIEW_ROW
        assert "Review: 2 due" in shown(lessons)
        assert lessons.highlighted_option.id != REVIEW_ROW  # the next lesson stays highlighted
        await pilot.press("home")
        assert "2 quizzes due for review" in str(browser.query_one(LessonDetails).render())
        await pilot.press("enter")
        await pilot.pause()

        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        header = screen.query_one(ReviewHeader)
        assert header.position == "1 of 2 due" and "1 of 2 due" in shown(header)
        quiz = screen.query_one(ReviewQuiz)
        assert isinstance(app.focused, AnswerInput)
        first = quiz.session.variant
        assert first.seed not in {1, 7}  # neither the lesson's seed nor the app's --seed family's first
        await type_text(pilot, right_answer(quiz))
        await pilot.press("enter")
        await pilot.pause()
        assert str(quiz.query_one(FeedbackPanel).feedback.verdict) == "correct"
        assert "Rated Good" in str(screen.query_one("#rated", Static).render())
        assert "n Next" in footer_keys(screen) and "n Skip" not in footer_keys(screen)

        await pilot.press("n")
        await pilot.pause()
        assert header.position == "2 of 2 due"
        assert isinstance(app.focused, AnswerInput)
        await pilot.press("escape")  # leave the answer box: n is a key again
        await pilot.pause()
        assert "n Skip" in footer_keys(screen) and "n Next" not in footer_keys(screen)
        await pilot.press("n")  # skipped: rated Again
        await pilot.pause()
        done = str(screen.query_one("#done", Static).render())
        assert "Review done: 2 quizzes reviewed." in done and "The next card is due at 2026-12-02T09:01:00Z" in done

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is browser
        assert lessons.get_option_at_index(0).id != REVIEW_ROW  # nothing due any more
    with ProgressStore(data_dir) as store:
        assert [(e.source, e.rating) for e in store.review_log()][2:] == [("review", 3), ("review", 1)]


def test_review_from_the_lesson_list(tmp_path, monkeypatch):
    cards_due(tmp_path, monkeypatch)
    asyncio.run(review_from_the_lesson_list(tmp_path))


async def review_at_start(data_dir: Path) -> None:
    app = make_app(data_dir, review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.query_one(ReviewHeader).position == "1 of 2 due"
        await pilot.press("escape", "escape")  # leave the box, then the review: the card stays due
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert "Review: 2 due" in shown(app.screen.query_one(LessonList))


def test_ce_tutor_review_opens_the_review_and_esc_goes_to_the_lessons(tmp_path, monkeypatch):
    cards_due(tmp_path, monkeypatch)
    asyncio.run(review_at_start(tmp_path))
    with ProgressStore(tmp_path) as store:
        assert store.due_count() == 2 and len(store.review_log()) == 2


async def nothing_due(data_dir: Path) -> None:
    app = make_app(data_dir, review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert any("Nothing to review yet" in str(n.message) for n in app._notifications)
        assert app.screen.query_one(LessonList).get_option_at_index(0).id != REVIEW_ROW


def test_nothing_due_stays_on_the_lesson_list(tmp_path):
    asyncio.run(nothing_due(tmp_path))


async def review_from_the_palette(data_dir: Path) -> None:
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        provider = TutorCommands(app.screen)
        [hit] = [hit async for hit in provider.search("review due quizzes")]
        hit.command()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.review.total == 2


def test_the_palette_opens_the_review(tmp_path, monkeypatch):
    cards_due(tmp_path, monkeypatch)
    asyncio.run(review_from_the_palette(tmp_path))
