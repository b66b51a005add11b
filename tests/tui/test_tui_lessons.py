"""End to end: a learner completes every shipped lesson from the browser with the keyboard only.

Every explorer is moved, every quiz gets one wrong answer first (a known misconception when the quiz has
one, to see its feedback) and then the answer the core computes for the variant on the screen.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from tui_helpers import loaded, make_app, shown, type_text

from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.schema import ExploreStep, QuizStep
from ce_tutor.progress import ProgressStore
from ce_tutor.quiz import within_tolerance
from ce_tutor.quiz.variants import number
from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.screens.player import PlayerScreen
from ce_tutor.tui.widgets.explorer import ExplorerView, ParamRow
from ce_tutor.tui.widgets.lesson_list import LessonList
from ce_tutor.tui.widgets.quiz import AnswerInput, FeedbackPanel, QuizView

SHIPPED = shipped_lessons_dir()
LESSON_IDS = [lf.lesson.id for lf in load_catalog([SHIPPED]).lessons]

pytestmark = pytest.mark.slow


def words(text: str) -> str:
    """``text`` without box-drawing characters, its words separated by single spaces."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def answer_text(value: float, step: QuizStep) -> str:
    """``value`` with enough digits for the quiz's tolerance (and no more, to keep typing short)."""
    return f"{value:.{max(6, (step.tolerance.sigfigs or 0) + 2)}g}"


async def move_explorer(pilot, view: ExplorerView) -> None:
    """Every parameter moves, and what the rows show follows; 0 puts everything back."""
    explorer = view.explorer
    rows = list(view.query(ParamRow))
    start = dict(explorer.values)
    for i, param in enumerate(explorer.params):
        assert view.selected == i
        before = shown(rows[i])
        key = "left" if explorer.values[param.name] >= param.max else "right"
        await pilot.press(key)
        assert explorer.values[param.name] != start[param.name], param.name
        assert shown(rows[i]) != before, f"the row of {param.name} did not change"
        await pilot.press("shift+left" if key == "left" else "shift+right")
        await pilot.press("down")
    await pilot.press("0")
    assert explorer.values == start


async def answer_quiz(pilot, view: QuizView) -> None:
    """One wrong answer (with the verdict it deserves on the panel), then the right one."""
    session = view.session
    step, variant = session.step, session.variant
    panel = view.query_one(FeedbackPanel)
    assert pilot.app.focused is view  # into the answer box with Enter
    await pilot.press("enter")
    assert isinstance(pilot.app.focused, AnswerInput)
    if step.is_choice:
        wrong = next(i for i in range(len(variant.options)) if i not in variant.correct_options)
        await type_text(pilot, str(wrong + 1))
        await pilot.press("enter")
        assert panel.has_class("-wrong") and panel.border_title == "✗ Not right"
        right = min(variant.correct_options) + 1
        await pilot.press("ctrl+u")
        await type_text(pilot, "abcdef"[right - 1])  # letters work as well as numbers
    else:
        expected = variant.answer
        assert expected is not None
        wrongs = [(m, number(m.answer, variant.values, "misconception")) for m in step.misconceptions]
        usable = [(m, v) for m, v in wrongs if not within_tolerance(v, expected, step.tolerance)]
        if usable:
            value = usable[0][1]
            first = next(m for m, v in wrongs if within_tolerance(value, v, step.tolerance))
            await type_text(pilot, answer_text(value, step))
            await pilot.press("enter")
            assert panel.has_class("-misconception") and panel.border_title == "✗ Not quite"
            assert words(variant.render(first.feedback)) in words(shown(panel))
        else:
            await type_text(pilot, answer_text(expected * 3 + 7, step))
            await pilot.press("enter")
            assert panel.has_class("-wrong") and panel.border_title == "✗ Not right"
        assert session.hints_shown or not step.hints, "a miss unlocks a hint"
        await pilot.press("ctrl+u")
        await type_text(pilot, answer_text(expected, step))
    await pilot.press("enter")
    await pilot.pause()
    assert panel.has_class("-correct") and panel.border_title == "✓ Correct"
    assert session.solved
    assert not isinstance(pilot.app.focused, AnswerInput), "after a right answer, n moves on"


async def complete_lesson(lesson_id: str, data_dir: Path) -> None:
    app = make_app(data_dir, lessons=[SHIPPED])
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        lessons = app.screen.query_one(LessonList)
        for _ in LESSON_IDS:
            if lessons.highlighted_option.id == lesson_id:
                break
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        player = app.screen
        assert isinstance(player, PlayerScreen)
        run = player.run
        assert run.lesson.id == lesson_id
        for index in range(run.n_steps):
            assert run.index == index
            step = run.step
            if isinstance(step, ExploreStep):
                await move_explorer(pilot, player.query_one(ExplorerView))
            elif isinstance(step, QuizStep):
                await answer_quiz(pilot, player.query_one(QuizView))
            await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        # the next lesson is highlighted; after the last one, the first still open (here: the first)
        following = LESSON_IDS[(LESSON_IDS.index(lesson_id) + 1) % len(LESSON_IDS)]
        assert app.screen.query_one(LessonList).highlighted_option.id == following


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_complete_lesson_with_the_keyboard(lesson_id, tmp_path):
    asyncio.run(complete_lesson(lesson_id, tmp_path))
    with ProgressStore(tmp_path) as store:
        assert store.lesson(lesson_id).complete
