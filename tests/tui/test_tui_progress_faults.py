"""The app when progress cannot be saved (a full disk mid-session) or can only be read (a read-only file):
the learner is told once, the lesson goes on, and nothing that was saved or answered is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from textual.widgets import OptionList

from ce_tutor import progress
from ce_tutor.progress import ProgressStore
from ce_tutor.tui.screens.player import PlayerScreen
from tui_helpers import loaded, make_app, shown


def notes(app) -> list[str]:
    """Every notification the app shows from now on, as "title: message"."""
    seen: list[str] = []
    tell = app.notify

    def record(message: str, **kwargs: Any) -> None:
        seen.append(f"{kwargs.get('title', '')}: {message}")
        tell(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return seen


def test_a_full_disk_mid_lesson_is_said_once_the_lesson_goes_on_and_all_is_saved_when_space_returns(
    tmp_path, monkeypatch
):
    disk = {"full": False}
    transaction = progress._transaction

    def write(conn):  # write transactions fail as SQLite fails on a full disk, while the disk is full
        if disk["full"]:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return transaction(conn)

    monkeypatch.setattr(progress, "_transaction", write)
    app = make_app(tmp_path)
    seen = notes(app)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            disk["full"] = True
            await pilot.press("enter")  # opening the lesson saves where the learner is: the first failure
            await pilot.pause()
            await pilot.press("n", "n")
            await pilot.pause()
            assert isinstance(app.screen, PlayerScreen) and app.screen.run.index == 2
            faults = [n for n in seen if n.startswith("Progress not saved:")]
            assert len(faults) == 1 and "database or disk is full" in faults[0]
            assert not any(n.startswith("Progress saved again") for n in seen)
            disk["full"] = False
            await pilot.press("n")
            await pilot.pause()
            assert [n for n in seen if n.startswith("Progress saved again")] == [
                "Progress saved again: Everything you did is saved now."]

    asyncio.run(main())
    with ProgressStore(tmp_path) as store:
        assert store.lesson("basics").current_step == 3 and store.lesson("basics").furthest_step == 3


def test_a_read_only_progress_file_is_shown_and_said_to_save_nothing(tmp_path, monkeypatch):
    with ProgressStore(tmp_path) as store:
        store.visit_step("basics", 2, 5)
    before = (tmp_path / progress.FILE_NAME).read_bytes()
    monkeypatch.setattr(progress, "_can_write", lambda path: False)  # as if the folder were read-only
    app = make_app(tmp_path)
    seen = notes(app)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            warnings = [n for n in seen if n.startswith("Progress file:")]
            assert len(warnings) == 1 and "nothing new will be saved" in warnings[0]
            assert "60%" in shown(app.browser.query_one(OptionList))
            assert "at step 3/5?" in str(app.screen.query_one(".question").render())
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PlayerScreen) and app.screen.run.index == 2  # resumed
            await pilot.press("n")
            await pilot.pause()
            assert len(seen) == 1  # said once

    asyncio.run(main())
    assert (tmp_path / progress.FILE_NAME).read_bytes() == before


def test_progress_still_unsaved_at_exit_is_counted_for_the_terminal(tmp_path, monkeypatch):
    transaction = progress._transaction
    disk = {"full": False}

    def write(conn):
        if disk["full"]:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return transaction(conn)

    monkeypatch.setattr(progress, "_transaction", write)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            disk["full"] = True
            await pilot.press("enter", "n")
            await pilot.pause()
            assert app.exit_note is None

    asyncio.run(main())
    assert app.exit_note is not None
    assert app.exit_note.startswith("2 changes made this session could not be saved")
    assert "database or disk is full" in app.exit_note


def test_progress_is_retried_while_the_learner_only_reads(tmp_path, monkeypatch):
    transaction = progress._transaction
    disk = {"full": False}

    def write(conn):
        if disk["full"]:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return transaction(conn)

    monkeypatch.setattr(progress, "_transaction", write)
    app = make_app(tmp_path)
    app.RETRY_SAVING_S = 0.05
    seen = notes(app)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            disk["full"] = True
            await pilot.press("enter", "n")
            await pilot.pause(0.3)
            assert [n.split(":")[0] for n in seen] == ["Progress not saved"]
            disk["full"] = False
            for _ in range(100):  # no key is pressed: the app retries by itself
                await pilot.pause(0.05)
                if len(seen) > 1:
                    break
            assert seen[1] == "Progress saved again: Everything you did is saved now."
            assert app._saving_retries is None

    asyncio.run(main())
    with ProgressStore(tmp_path) as store:
        assert store.lesson("basics").current_step == 1
