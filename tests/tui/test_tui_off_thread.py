"""The app's thread never runs a lesson's work, and no key is lost while it runs elsewhere.

- An explorer's move shows the new value at once; its lines and plot are computed in worker threads, so
  Esc and Ctrl+Q act while a move computes (made deterministic here: the computation blocks on an event
  the test holds, and is let go only after the screen has left or the app has exited).
- Keys typed while a step is computing or being drawn wait for it and act on it, in order: n n n and an
  answer with Enter typed at once land on the quiz and grade the answer.

Nothing here is timed: each test waits for a state, never for a duration.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Static

from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.screens.player import PlayerScreen
from ce_tutor.tui.widgets import explorer as explorer_module
from ce_tutor.tui.widgets import steps
from ce_tutor.tui.widgets.explorer import ExplorerView, ParamRow
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.quiz import QuizView

from tui_helpers import loaded, make_app, settled, shown

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
CHARACTERS = {"enter": "\r", "full_stop": ".", "minus": "-"}


def send_key(app: Any, key: str) -> None:
    """Send a key as the terminal would, without waiting for anything (Pilot.press waits for the screen
    to be idle, which would hide the keys typed while a step loads)."""
    event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app._driver.send_message(event)


def keys_for(text: str) -> list[str]:
    return [{".": "full_stop", "-": "minus"}.get(ch, ch) for ch in text]


async def until(condition: Any, what: str) -> None:
    """Wait for ``condition()`` (a state, not a time: the limit only turns a hang into a failure)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


class Held:
    """Makes the explorer view's computation (in its worker thread) wait until the test lets it go."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        real = explorer_module.explorer_state

        def held(explorer: Any, moves: int = 0) -> Any:
            assert threading.current_thread() is not threading.main_thread(), "computed on the app's thread"
            self.started.set()
            self.release.wait(30)
            try:
                return real(explorer, moves)
            finally:
                self.finished.set()

        monkeypatch.setattr(explorer_module, "explorer_state", held)


async def at_explorer(pilot: Any) -> tuple[PlayerScreen, ExplorerView]:
    """The test lesson's explorer (its third step), settled."""
    await loaded(pilot)
    await pilot.press("enter", "n", "n")
    await settled(pilot)
    player = pilot.app.screen
    assert isinstance(player, PlayerScreen)
    return player, player.query_one(ExplorerView)


def lines_of(view: ExplorerView) -> str:
    return shown(view.query_one("#lines").query_one(Static)).strip()


def test_a_move_shows_its_value_at_once_and_esc_leaves_while_it_computes(tmp_path, monkeypatch):
    held = Held(monkeypatch)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            player, view = await at_explorer(pilot)
            before = lines_of(view)
            assert before == "loss = 0.693"  # -1 * ln(0.5)
            send_key(app, "right")
            await until(held.started.is_set, "the move's computation never started")
            await pilot.pause()
            assert view.values["q"] == 0.55  # the row shows the new value at once...
            assert player.query(ParamRow).first().value == 0.55
            assert lines_of(view) == before  # ...and the lines follow when they are computed
            send_key(app, "escape")
            await until(lambda: isinstance(app.screen, BrowserScreen), "Esc did not leave the lesson")
            assert not held.finished.is_set()  # left while the computation was still held
            held.release.set()
            await until(held.finished.is_set, "the computation was never let go")
            await settled(pilot)
            assert app.return_code is None and app.crash_log is None  # its result, for nobody, was dropped

    asyncio.run(main())


def test_ctrl_q_quits_while_an_explorer_move_computes(tmp_path, monkeypatch):
    held = Held(monkeypatch)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            _, view = await at_explorer(pilot)
            send_key(app, "right")
            await until(held.started.is_set, "the move's computation never started")
            send_key(app, "ctrl+q")
            await until(lambda: app.return_code is not None, "Ctrl+Q did not quit")
            assert not held.finished.is_set()  # quit while the computation was still held
            assert all(budget.cancelled for budget in view._budgets)  # and its work stopped
            held.release.set()
            await until(held.finished.is_set, "the computation was never let go")

    asyncio.run(main())
    assert app.return_code == 0 and app.crash_log is None


def test_rapid_moves_are_all_applied_and_the_latest_is_shown(tmp_path):
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            _, view = await at_explorer(pilot)
            for key in ("right", "right", "right", "down", "right", "up", "left"):
                send_key(app, key)
            await settled(pilot)
            assert view.values == {"q": 0.6, "w": 1.5}
            with view.explorer.lock:
                assert view.explorer.values == {"q": 0.6, "w": 1.5}
            assert lines_of(view) == "loss = 0.766"  # -1.5 * ln(0.6)
            plot = view.query_one(LessonPlot)
            assert plot.data is not None and plot.data.markers[0].x == pytest.approx(0.6)

    asyncio.run(main())


def test_a_failing_explorer_move_is_a_message_not_a_crash(tmp_path, monkeypatch):
    def broken(explorer: Any, moves: int = 0) -> Any:
        raise RuntimeError("a bug")

    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            _, view = await at_explorer(pilot)
            monkeypatch.setattr(explorer_module, "explorer_state", broken)
            await pilot.press("right")
            await settled(pilot)
            assert lines_of(view) == "✗ Cannot compute this: something went wrong (a bug)"
            assert app.return_code is None

    asyncio.run(main())


def test_ctrl_q_quits_a_real_slow_explorer(tmp_path):
    """tests/data/hostile/bounded-slow-explorer.yaml: each move computes for about 0.4 s of CPU time."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    shutil.copy(HOSTILE / "bounded-slow-explorer.yaml", folder)
    app = make_app(tmp_path / "home", [folder], lesson="bounded-slow-explorer")

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await until(lambda: app.screen.query(ExplorerView), "the slow explorer never showed")
            view = app.screen.query_one(ExplorerView)
            send_key(app, "right")
            await until(lambda: view._budgets, "the move never started computing")
            budgets = set(view._budgets)
            send_key(app, "ctrl+q")
            await until(lambda: app.return_code is not None, "Ctrl+Q did not quit")
            assert all(budget.cancelled for budget in budgets)

    asyncio.run(main())
    assert app.return_code == 0 and app.crash_log is None


# -- keys typed while a step loads ---------------------------------------------------------------------------
def test_steps_and_an_answer_typed_at_once_land_on_the_quiz_and_are_graded(tmp_path):
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("enter")
            await settled(pilot)
            player = app.screen
            assert isinstance(player, PlayerScreen)
            answer = f"{player.run.quiz(3).variant.answer:.10g}"
            for key in ["n", "n", "n", "enter", *keys_for(answer), "enter"]:
                send_key(app, key)
            await settled(pilot)
            assert player.run.index == 3
            session = player.query_one(QuizView).session
            assert session.last_feedback is not None and session.last_feedback.verdict.value == "correct"
            assert session.attempts == 1

    asyncio.run(main())


def test_keys_typed_while_a_step_computes_act_on_that_step(tmp_path, monkeypatch):
    """The step's work is held until the keys have been typed: they cannot but arrive while it loads."""
    go = threading.Event()
    compute = steps.StepWork.compute

    def held(self: steps.StepWork) -> steps.StepWork:
        if self.index == 3:
            go.wait(30)
        return compute(self)

    monkeypatch.setattr(steps.StepWork, "compute", held)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            player, view = await at_explorer(pilot)
            answer = f"{player.run.quiz(3).variant.answer:.10g}"
            send_key(app, "n")
            await until(lambda: player.work is not None and player.work.index == 3, "the quiz never loaded")
            for key in ["enter", "7", "enter", "backspace", *keys_for(answer), "enter"]:
                send_key(app, key)
            await until(lambda: len(app._keys_waiting) == 5 + len(answer), "the keys were not kept")
            assert not player.query(QuizView)  # still computing
            go.set()
            await settled(pilot)
            assert player.run.index == 3
            quiz = player.query_one(QuizView)
            assert quiz.session.attempts == 2  # 7 (wrong), then, after a backspace, the answer (right)
            assert quiz.session.last_feedback is not None and quiz.session.last_feedback.verdict.value == "correct"
            assert not app._keys_waiting

    asyncio.run(main())


def test_arrows_typed_while_an_explorer_loads_move_its_values_and_esc_still_leaves(tmp_path, monkeypatch):
    go = threading.Event()
    compute = steps.StepWork.compute

    def held(self: steps.StepWork) -> steps.StepWork:
        if self.index == 2:
            go.wait(30)
        return compute(self)

    monkeypatch.setattr(steps.StepWork, "compute", held)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("enter")
            await settled(pilot)
            player = app.screen
            assert isinstance(player, PlayerScreen)
            send_key(app, "n")
            send_key(app, "n")
            await until(lambda: player.work is not None and player.work.index == 2, "the explorer never loaded")
            for key in ("right", "right", "down", "right"):  # for the explorer, not "next step"
                send_key(app, key)
            await until(lambda: len(app._keys_waiting) == 4, "the keys were not kept")
            go.set()
            await settled(pilot)
            assert player.run.index == 2
            view = player.query_one(ExplorerView)
            assert view.values == {"q": 0.6, "w": 1.5}
            send_key(app, "n")  # while nothing loads, n acts at once
            await until(lambda: player.run.index == 3, "n did not move on")
            send_key(app, "escape")  # Esc never waits
            await until(lambda: isinstance(app.screen, BrowserScreen), "Esc did not leave")

    asyncio.run(main())


def test_esc_leaves_while_a_hint_is_being_filled_in(tmp_path, monkeypatch):
    """Checking an answer and filling in a hint or the solution are lesson work (texts with placeholders):
    a worker thread does them, so the app answers meanwhile."""
    from ce_tutor.quiz.session import QuizSession

    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    hint = QuizSession.hint

    def held(self: QuizSession) -> str | None:
        assert threading.current_thread() is not threading.main_thread(), "filled in on the app's thread"
        started.set()
        release.wait(30)
        try:
            return hint(self)
        finally:
            finished.set()

    monkeypatch.setattr(QuizSession, "hint", held)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("enter", "n", "n", "n")
            await settled(pilot)
            assert app.screen.query(QuizView)
            send_key(app, "ctrl+t")
            await until(started.is_set, "the hint was never asked for")
            send_key(app, "escape")
            await until(lambda: isinstance(app.screen, BrowserScreen), "Esc did not leave the lesson")
            assert not finished.is_set()
            release.set()
            await until(finished.is_set, "the hint was never let go")
            await settled(pilot)
            assert app.return_code is None and app.crash_log is None

    asyncio.run(main())
