"""Every plot of every shipped lesson as the learner sees it at 80x24, compared with reviewed screenshots.

One case a plot step (a caption above its plot) and an explorer step, and each explorer again with every
slider at its minimum and at its maximum. The cases come from the shipped lessons, so a new lesson's
plots are covered without editing this file. Update with
``pytest -n 0 tests/tui/test_plot_snapshots.py --snapshot-update`` after looking at each one as a PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from textual.pilot import Pilot
from tui_helpers import loaded, make_app, settled

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import ExploreStep, Lesson, PlotStep

pytestmark = pytest.mark.slow

LESSON_DIR = Path(__file__).resolve().parents[2] / "lessons"


def _cases() -> list[tuple[str, str, int, str | None]]:
    """(case id, lesson id, step index, None or "min"/"max" for an explorer's sliders)."""
    cases = []
    for path in sorted(LESSON_DIR.glob("*.yaml")):
        lesson = validate(Lesson, yaml.safe_load(path.read_text(encoding="utf-8")))
        for i, step in enumerate(lesson.steps):
            if isinstance(step, PlotStep):
                cases.append((f"{lesson.id}-{i + 1}-plot", lesson.id, i, None))
            elif isinstance(step, ExploreStep):
                for corner in (None, "min", "max"):
                    suffix = f"-{corner}" if corner else ""
                    cases.append((f"{lesson.id}-{i + 1}-explore{suffix}", lesson.id, i, corner))
    return cases


CASES = _cases()


def at_step(index: int, corner: str | None):
    async def run_before(pilot: Pilot[Any]) -> None:
        from ce_tutor.tui.screens.player import PlayerScreen
        from ce_tutor.tui.widgets.explorer import ExplorerView

        await loaded(pilot)
        await pilot.pause()
        player = pilot.app.screen
        assert isinstance(player, PlayerScreen)
        player.run.go(index)
        await player.show_step()
        await settled(pilot)
        if corner is not None:
            view = player.query_one(ExplorerView)
            with view.explorer.lock:  # the view computes in worker threads
                for param in view.explorer.params:
                    view.explorer.set(param.name, param.min if corner == "min" else param.max)
            view.show_values()
        pilot.app.clear_notifications()  # "this lesson builds on ...": not what these pictures are about
        await settled(pilot)  # the explorer's lines and the plot are computed in workers

    return run_before


def test_every_shipped_lesson_with_plots_is_covered():
    # every shipped lesson has a plot (each teaches with one), and every one is covered here
    shipped = {yaml.safe_load(path.read_text(encoding="utf-8"))["id"] for path in LESSON_DIR.glob("*.yaml")}
    assert len(shipped) >= 10 and {lesson for _, lesson, _, _ in CASES} == shipped


@pytest.mark.parametrize("case,lesson,index,corner", CASES, ids=[c[0] for c in CASES])
def test_plot_screen(case, lesson, index, corner, snap_compare, tmp_path):
    app = make_app(tmp_path, lessons=[LESSON_DIR], lesson=lesson)
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_step(index, corner))


@pytest.mark.parametrize("case,lesson,index,corner", CASES, ids=[c[0] for c in CASES])
def test_every_plot_has_room_at_80x24(case, lesson, index, corner, tmp_path):
    """A data area of at least 8 rows for every curve (every bar for bar plots), and an explorer's sliders,
    values and plot on one screen: nothing to scroll."""
    import asyncio

    from ce_tutor.tui.widgets.explorer import ExplorerView
    from ce_tutor.tui.widgets.plot import LessonPlot

    app = make_app(tmp_path, lessons=[LESSON_DIR], lesson=lesson)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await at_step(index, corner)(pilot)
            plot = app.screen.query_one(LessonPlot)
            plot.render()
            assert plot.canvas is not None and plot.data is not None
            _, _, _, rows = plot.canvas.data_box
            if plot.data.kind == "bar":
                assert rows >= len(plot.data.categories or ()) * len(plot.data.series)
            else:
                assert rows >= 8, "\n".join(plot.canvas.lines())
            for view in app.screen.query(ExplorerView):
                assert view.max_scroll_y == 0
                assert plot.region.bottom <= app.screen.region.bottom - 1  # above the footer

    asyncio.run(scenario())


def test_the_explorer_text_folds_at_80x24_and_t_unfolds_it(tmp_path):
    import asyncio

    from textual.widgets import Markdown, Static

    from ce_tutor.tui.widgets.explorer import ExplorerView

    index = next(i for _, lesson, i, corner in CASES if lesson == "softmax" and corner is None and i > 4)
    app = make_app(tmp_path, lessons=[LESSON_DIR], lesson="softmax")

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await at_step(index, None)(pilot)
            view = app.screen.query_one(ExplorerView)
            fold, text = view.query_one("#fold", Static), view.query_one(Markdown)
            assert view.folded and fold.display and not text.display
            assert "(t: all the text)" in str(fold.render())
            await pilot.press("t")
            assert not view.folded and text.display and not fold.display
            await pilot.press("t")
            assert view.folded

    asyncio.run(scenario())
    tall = make_app(tmp_path / "tall", lessons=[LESSON_DIR], lesson="softmax")

    async def roomy() -> None:
        async with tall.run_test(size=(100, 40)) as pilot:
            await at_step(index, None)(pilot)
            assert not tall.screen.query_one(ExplorerView).folded  # room enough: the whole text

    asyncio.run(roomy())
