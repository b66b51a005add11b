"""A catalog of many lessons: the app's second start shows the list from the catalog index, validates
nothing and starts no child, and the lesson list never renders a row just to measure it (10,000 rows took
minutes that way)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from tui_helpers import SEED, loaded

from ce_tutor.lessons import loader
from ce_tutor.lessons.catalog import lesson_dirs
from ce_tutor.tui import AppOptions
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.library import read_catalog
from ce_tutor.tui.widgets import lesson_list
from ce_tutor.tui.widgets.lesson_list import LessonList

LESSON = """schema_version: 1
id: gen-{i}
title: Generated lesson {i}
summary: One of many.
{requires}steps:
  - type: prose
    text: Hello.
"""
COUNT = 300
SHIPPED = len(list(lesson_dirs()[0].glob("*.yaml")))


def test_the_second_start_of_many_lessons_validates_nothing_and_measures_no_row(tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(COUNT):
        requires = "requires: [gen-0]\n" if i == COUNT - 1 else ""
        (folder / f"l{i:04d}.yaml").write_text(LESSON.format(i=i, requires=requires), encoding="utf-8")
    options = AppOptions(lesson_dirs=lesson_dirs(extra=[folder], environ={}), data_dir=tmp_path / "data", seed=SEED)
    assert len(read_catalog(options).lessons) == COUNT + SHIPPED  # the first start fills the cache

    def refused(*args, **kwargs):
        raise AssertionError("the second start validated a lesson or started a child")

    drawn: set[int] = set()
    draw = lesson_list._Row.text
    monkeypatch.setattr(loader, "load_lesson_bytes", refused)
    monkeypatch.setattr(subprocess, "run", refused)
    monkeypatch.setattr(lesson_list._Row, "text", lambda self, width: drawn.add(id(self)) or draw(self, width))

    async def main() -> None:
        app = TutorApp(options)
        assert app.library is not None and len(app.library.index.lessons) == COUNT + SHIPPED  # from the index
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            lessons = app.screen.query_one(LessonList)
            assert lessons.option_count == COUNT + SHIPPED
            await pilot.press("end")
            await pilot.pause()
            assert lessons.highlighted == COUNT + SHIPPED - 1
            last = lessons.get_option_at_index(COUNT + SHIPPED - 1)
            assert last.id == f"gen-{COUNT - 1}"
            assert lessons.get_option_at_index(COUNT + SHIPPED - 2).id == f"gen-{COUNT - 2}"
        # rows are drawn when on screen (the first screenful, the last, and a redraw of each after the lessons
        # loaded), never all of them to measure their height
        assert 0 < len(drawn) < 100

    asyncio.run(main())
