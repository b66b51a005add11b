"""Helpers for driving the app with Pilot (imported by the tests in this folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from ce_tutor.tui import AppOptions
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.screens.player import PlayerScreen

DATA = Path(__file__).parent / "data"
LESSONS = DATA / "lessons"
BROKEN = DATA / "broken"
SEED = 7


def make_app(data_dir: Path, lessons: list[Path] | None = None, **options: Any) -> TutorApp:
    """The app with test lessons (or ``lessons``), progress in ``data_dir`` and a fixed quiz seed."""
    options.setdefault("seed", SEED)
    return TutorApp(AppOptions(lesson_dirs=lessons or [LESSONS], data_dir=data_dir, **options))


async def loaded(pilot: Pilot[Any]) -> None:
    """Wait until the lessons have loaded and the app has settled."""
    app = pilot.app
    assert isinstance(app, TutorApp)
    for _ in range(400):
        if app.library is not None:
            break
        await pilot.pause(0.02)
    assert app.library is not None, "the lessons did not load"
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_first_lesson(pilot: Pilot[Any]) -> PlayerScreen:
    """From a fresh app: wait for the lessons, open the first one from the browser, return the player."""
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    player = pilot.app.screen
    assert isinstance(player, PlayerScreen)
    return player


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, as a learner would."""
    keys = {".": "full_stop", "-": "minus", "+": "plus", " ": "space", "e": "e"}
    await pilot.press(*(keys.get(ch, ch) for ch in text))


def shown(widget: Widget) -> str:
    """The text a widget shows on the screen, line by line."""
    strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
