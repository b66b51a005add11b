"""The sign-in screen of a class session (``ce-tutor serve`` runs ``ce-tutor --class-session DIR``)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from textual.widgets import Input, Static

from ce_tutor.classroom import class_seed, learner_seed
from ce_tutor.tui import AppOptions
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.screens.who import WhoScreen
from tui_helpers import LESSONS, loaded, type_text


@pytest.fixture(autouse=True)
def _unfreeze():
    """A class session freezes the objects alive once it has loaded (gc.freeze); not in other tests."""
    yield
    gc.unfreeze()


def class_app(class_dir: Path, roster: Path | None = None) -> TutorApp:
    class_seed(class_dir, create=True)
    return TutorApp(AppOptions(lesson_dirs=[LESSONS], class_dir=class_dir, roster=roster))


def message(app: TutorApp) -> str:
    return str(app.screen.query_one("#who-message", Static).render())


def test_a_name_opens_the_learners_own_store_with_the_class_seed(tmp_path: Path) -> None:
    asyncio.run(_a_name(tmp_path))
    assert list((tmp_path / "learners").iterdir()) == [(tmp_path / "learners" / "ada")]


async def _a_name(tmp_path: Path) -> None:
    app = class_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WhoScreen)
        assert app.library is None  # no store is opened before the learner is known
        await pilot.press("enter")
        await pilot.pause()
        assert "type your name" in message(app)
        await type_text(pilot, "..")
        await pilot.press("enter")
        await pilot.pause()
        assert "'..'" in message(app) and isinstance(app.screen, WhoScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Ada")
        await pilot.press("enter")
        await loaded(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert app.library is not None and app.library.store is not None
        assert app.library.store.path == (tmp_path / "learners" / "ada" / "progress.sqlite3").resolve()
        assert app.library.seed == learner_seed(class_seed(tmp_path), "ada")
        for _ in range(100):  # the long-lived objects leave the collector's reach, so collections are short
            if gc.get_freeze_count():
                break
            await pilot.pause(0.02)
        assert gc.get_freeze_count() > 0


def test_wrong_join_codes_are_refused_then_slowed_down(tmp_path: Path) -> None:
    asyncio.run(_wrong_codes(tmp_path))
    assert [p.name for p in (tmp_path / "class" / "learners").iterdir()] == ["ada-lovelace"]


async def _wrong_codes(tmp_path: Path) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text("Ada Lovelace, k7f2q9\n", encoding="utf-8")
    app = class_app(tmp_path / "class", roster)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        box = app.screen.query_one(Input)
        assert box.password
        for attempt in range(1, 4):
            await type_text(pilot, "nope")
            await pilot.press("enter")
            await pilot.pause()
            assert "not on this class's roster" in message(app) and box.value == ""
            assert box.disabled == (attempt == 3)
        assert "Wait 1 s" in message(app)
        for _ in range(200):
            if not box.disabled:
                break
            await pilot.pause(0.05)
        assert not box.disabled
        await type_text(pilot, "k7f2q9")
        await pilot.press("enter")
        await loaded(pilot)
        assert app.sub_title == "Ada Lovelace"


def test_sign_in_screen_snapshot(snap_compare, tmp_path: Path) -> None:
    """The sign-in screen at 80x24, after a refused name."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        await type_text(pilot, "..")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(class_app(tmp_path / "class"), terminal_size=(80, 24), run_before=run_before)
