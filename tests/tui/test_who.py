"""The sign-in screen of a class session (each tab of ``ce-tutor serve`` runs ``python -m ce_tutor.serve.tab DIR``)."""

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


def test_a_lesson_chosen_before_the_freeze_is_freed_like_any_other(tmp_path: Path, monkeypatch) -> None:
    """A class session freezes what is alive once a lesson's imports are ready (gc.freeze: the collection
    after each step then skips it). A lesson chosen before then opens after the freeze, so that its first
    step's widgets are not frozen: once the learner moves on, they are freed like every other step's."""
    import threading

    import ce_tutor.tui.library as library

    release = threading.Event()
    warm = library.warm_lessons

    def held(catalog) -> None:  # the imports take as long as the test needs
        release.wait(60)
        warm(catalog)

    monkeypatch.setattr(library, "warm_lessons", held)
    asyncio.run(_chosen_before_the_freeze(tmp_path, release))


async def _chosen_before_the_freeze(tmp_path: Path, release) -> None:
    import weakref

    from ce_tutor.tui.screens.player import PlayerScreen
    from ce_tutor.tui.widgets.explorer import ExplorerView
    from ce_tutor.tui.widgets.quiz import QuizView
    from ce_tutor.tui.widgets.steps import PlotView, ProseView

    views = (ProseView, PlotView, ExplorerView, QuizView)
    app = class_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, "Ada")
        await pilot.press("enter")
        for _ in range(400):
            if app.library is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        await pilot.press("enter")  # the first lesson, chosen while its imports are still held back
        await pilot.pause()
        assert app._pending_lesson is not None and gc.get_freeze_count() == 0
        release.set()
        first = None
        for _ in range(500):
            if isinstance(app.screen, PlayerScreen) and (
                    shown := [w for w in app.screen.query("*") if isinstance(w, views)]):
                first = weakref.ref(shown[0])
                shown = []
                break
            await pilot.pause(0.02)
        assert first is not None, "the lesson did not open"
        for _ in range(100):
            if gc.get_freeze_count():
                break
            await pilot.pause(0.02)
        assert gc.get_freeze_count() > 0
        for _ in range(2):
            await pilot.press("n")
            await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        gc.collect()
        assert first() is None, "the first step's widgets were frozen with the app"
