"""The app never puts a lesson's, a file name's or a progress file's control characters on the screen.

The lessons here are smuggled past the loader (built in memory, as a forged cache entry would be), so what
is tested is the app's own care: the header, the lesson list and details, the problem list and the
notifications show control characters as escapes (ce_tutor.text.safe), and bidi overrides not at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re

from rich.console import Console
from tui_helpers import LESSONS, SEED, loaded

from ce_tutor.lessons.catalog import Catalog, load_catalog
from ce_tutor.lessons.problems import Problem
from ce_tutor.text import BIDI
from ce_tutor.tui import AppOptions
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.screens.player import PlayerScreen

CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}]")
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
TITLE = "\x1b]0;pwned\x07"


def hostile_catalog() -> Catalog:
    real = load_catalog([LESSONS])
    first = real.lessons[0]
    lesson = dataclasses.replace(first.lesson, title=f"Basics {OSC52}\u202e", summary=f"Summary {TITLE}\x9b2J")
    steps = list(lesson.steps)
    steps[0] = dataclasses.replace(steps[0], title="Step \x1b[2J\x1b[H one")
    lesson = dataclasses.replace(lesson, steps=steps)
    forged = dataclasses.replace(first, lesson=lesson)
    problems = [Problem(f"evil{TITLE}.yaml", 1, "not valid YAML \x9b31m")]
    return Catalog([forged, *real.lessons[1:]], problems)


def screen_text(app: TutorApp) -> str:
    """Every character the app would draw now (the screen, its toasts and dialogs)."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def test_smuggled_control_characters_are_shown_as_escapes_everywhere(tmp_path):
    asyncio.run(_smuggled(tmp_path))


async def _smuggled(tmp_path) -> None:
    app = TutorApp(AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, seed=SEED), hostile_catalog())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await loaded(pilot)
        browser = screen_text(app)
        assert "\\x1b]52;c;ZXZpbA==\\x07" in browser  # the title, its escape made visible
        assert "evil\\x1b]0;pwned\\x07.yaml:1" in browser  # the problem list
        assert not CONTROL.search(browser)

        app.open_lesson(f"nope{OSC52}")  # a notification quoting an id from outside
        await pilot.pause()
        toast = screen_text(app)
        assert "nope\\x1b]52" in toast and not CONTROL.search(toast)

        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayerScreen)
        player = screen_text(app)
        assert "Step \\x1b[2J\\x1b[H one" in player and "Basics \\x1b]52" in player  # the header
        assert not CONTROL.search(player)


def test_a_pasted_answer_shows_its_control_characters_as_escapes(tmp_path):
    from textual import events

    from ce_tutor.tui.widgets.quiz import AnswerInput, FeedbackPanel

    async def main() -> None:
        app = TutorApp(AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, seed=SEED))
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("enter", "n", "n", "n")
            await pilot.pause()
            await pilot.press("enter")  # into the answer box
            await pilot.pause()
            answer = app.focused
            assert isinstance(answer, AnswerInput)
            answer.post_message(events.Paste(f"0.9{OSC52}\x9b2J\nsecond line"))
            await pilot.pause()
            assert answer.value == "0.9\\x1b]52;c;ZXZpbA==\\x07\\x9b2J"
            assert not CONTROL.search(screen_text(app))
            await pilot.press("enter")
            await pilot.pause()
            feedback = screen_text(app)
            assert app.screen.query_one(FeedbackPanel).has_class("-unreadable")
            assert "0.9\\x1b]52" in feedback and not CONTROL.search(feedback)

    asyncio.run(main())


def test_the_app_starts_as_with_no_cache_when_every_entry_is_forged(tmp_path):
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import load_catalog as load
    from ce_tutor.progress import default_cache_dir

    data = tmp_path / "data"
    cache = LessonCache(default_cache_dir(data))
    load([LESSONS], cache)
    entries = sorted(cache.directory.glob("*.pickle"))
    assert len(entries) == 2
    entries[1].write_bytes(entries[0].read_bytes())  # one lesson's entry over the other's
    entries[0].write_bytes(b"\x80\x05(\x8c\x17ce_tutor.lessons.schema\x8c\x06Lesson\x93)\x81}}t.")  # empty lesson

    async def main() -> None:
        app = TutorApp(AppOptions(lesson_dirs=[LESSONS], data_dir=data, seed=SEED))
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            assert app.library is not None
            assert app.library.catalog.ids() == ["basics", "after"] and not app.library.catalog.problems
            text = screen_text(app)
            assert "1. Basics: one of each step" in text and "2. After" in text

    asyncio.run(main())
