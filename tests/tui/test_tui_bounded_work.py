"""A lesson's heavy work never holds the app: a slow step computes in a worker that Ctrl+Q and Esc cancel,
a step over its budget says so, and drawing new quiz numbers that fails says so instead of crashing.

The lessons are tests/data/hostile/bounded-*.yaml, copied into a folder of their own.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual import events

from ce_tutor import formula

from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.screens.player import PlayerScreen
from ce_tutor.tui.widgets import steps
from ce_tutor.tui.widgets.quiz import QuizView
from ce_tutor.tui.widgets.steps import ProseView, StepProblem

from tui_helpers import loaded, make_app

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"


def lessons(tmp_path: Path, *names: str) -> list[Path]:
    folder = tmp_path / "lessons"
    folder.mkdir()
    for name in names:
        shutil.copy(HOSTILE / name, folder)
    return [folder]


def notes_of(app: Any) -> list[str]:
    seen: list[str] = []
    tell = app.notify

    def record(message: str, **kwargs: Any) -> None:
        seen.append(message)
        tell(message, **kwargs)

    app.notify = record
    return seen


def send_key(app: Any, key: str) -> None:
    """Send a key as the terminal would, without waiting for the screen (Pilot.press waits until the screen
    is idle, and the screen is busy while its step computes)."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(condition: Any, what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def step_computing(pilot: Any, player: PlayerScreen) -> steps.StepWork:
    """Wait (without waiting for the screen, which is busy with the step) until the step's work runs."""
    for _ in range(400):
        if player.work is not None:
            return player.work
        await asyncio.sleep(0.01)
    raise AssertionError("the step never started computing")


def test_ctrl_q_quits_while_a_slow_step_computes_in_its_worker(tmp_path: Path) -> None:
    app = make_app(tmp_path / "home", lessons(tmp_path, "bounded-placeholders.yaml"), lesson="bounded-placeholders")
    outcome: dict[str, Any] = {}

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            player = app.screen
            assert isinstance(player, PlayerScreen)
            send_key(app, "n")  # the step of 300 slow placeholders: seconds of work
            work = await step_computing(pilot, player)
            send_key(app, "ctrl+q")
            await until(lambda: app.return_code is not None, "the app did not exit")
            outcome["return_code"] = app.return_code  # exiting, while the step's worker had not finished
            outcome["work"] = work
            outcome["shown"] = bool(player.query(ProseView)) or bool(player.query(StepProblem))

    asyncio.run(main())
    work = outcome["work"]
    assert outcome["return_code"] == 0
    assert not outcome["shown"]
    assert work.budget.cancelled
    assert work.text == "" and work.problem is None  # it never finished: it was stopped, not waited for


def test_escape_leaves_a_slow_step_for_the_lesson_list(tmp_path: Path) -> None:
    app = make_app(tmp_path / "home", lessons(tmp_path, "bounded-placeholders.yaml"), lesson="bounded-placeholders")

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            player = app.screen
            assert isinstance(player, PlayerScreen)
            send_key(app, "n")
            work = await step_computing(pilot, player)
            send_key(app, "escape")
            await until(lambda: isinstance(app.screen, BrowserScreen), "Esc did not leave the lesson")
            assert work.budget.cancelled and work.text == ""

    asyncio.run(main())


def test_a_step_over_its_budget_says_so_and_the_lesson_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "STEP_BUDGET_S", 0.3)
    app = make_app(tmp_path / "home", lessons(tmp_path, "bounded-placeholders.yaml"), lesson="bounded-placeholders")

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("n")
            await pilot.pause()
            problem = app.screen.query_one(StepProblem)
            assert "This step takes too long to compute (more than 0.3 s of work in all)." in str(problem.render())
            await pilot.press("p")
            await pilot.pause()
            assert app.screen.query(ProseView)

    asyncio.run(main())


def test_new_numbers_for_a_quiz_whose_require_rarely_holds_never_crash(tmp_path: Path) -> None:
    """It used to crash after about ten ctrl+r. Now a draw that fails says so, and the quiz stays."""
    app = make_app(tmp_path / "home", lessons(tmp_path, "bounded-rare-require.yaml"), lesson="bounded-rare-require")
    seen = notes_of(app)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            quiz = app.screen.query_one(QuizView)
            indices = [quiz.session.variant.index]
            for _ in range(10):
                await pilot.press("ctrl+r")
                await pilot.pause()
                indices.append(quiz.session.variant.index)
            assert app.return_code is None  # still running
            failed = [m for m in seen if m.startswith("No new numbers could be drawn:")]
            assert failed and all("require" in m and "Carry on with these." in m for m in failed)
            assert len(set(indices)) >= 5  # most presses did give fresh numbers
            await pilot.press("escape", "escape")  # the answer box, then the lesson
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)

    asyncio.run(main())


def test_texts_too_big_to_show_are_a_message_not_a_frozen_app(tmp_path: Path) -> None:
    """A 999-wide spec over 10,000 values, a 2,000-item list, a 30-column table: each step says what is wrong."""
    app = make_app(tmp_path / "home", lessons(tmp_path, "bounded-output.yaml"), lesson="bounded-output")
    expected = [
        "the width 999 in ':>999.99f' is too wide (at most 40)",
        "the precision 50 in ':.50f' asks for too many digits (at most 17)",
        "the text has more than 100 list items; split it into several steps",
        "a table has 30 columns; at most 12 fit a terminal",
        "it makes the text longer than 20,000 characters",
    ]

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            for i, message in enumerate(expected):
                if i:
                    await pilot.press("n")
                    await pilot.pause()
                problem = app.screen.query_one(StepProblem)
                assert message in str(problem.render())
                assert not app.screen.query(ProseView)

    asyncio.run(main())


def test_a_plot_over_its_budget_is_a_value_error_which_the_plot_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plots are computed in a worker thread when laid out: a budget bounds them (LessonPlot shows the
    ValueError in place of the plot)."""
    monkeypatch.setattr(steps, "PLOT_BUDGET_S", 0.05)

    def slow() -> None:
        while True:
            formula.evaluate("sum(iris_total_ce(x))", {"x": np.linspace(0, 1, 50)})

    with pytest.raises(ValueError, match=r"this plot takes too long to compute \(more than 0.05 s"):
        steps.within_plot_budget(slow)
