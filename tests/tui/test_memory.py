"""What the app lets go of: removed widgets and old steps must not stay alive (they are most of the peak RSS
of a lesson, which benchmarks/bench_tui.py measures)."""

from __future__ import annotations

import asyncio
import gc

from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label

from ce_tutor.tui.workarounds import stop_styles_cache_leak


def live(kind: type | tuple[type, ...]) -> int:
    """Objects of ``kind`` the collector tracks, unreachable ones included (no collection is run here)."""
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


class Cards(App[None]):
    """Mounts a column of labels, removes them and mounts new ones, as the player does with a step."""

    def compose(self) -> ComposeResult:
        yield Vertical(id="cards")

    async def rebuild(self, count: int) -> None:
        cards = self.query_one("#cards")
        await cards.remove_children()
        await cards.mount(*(Label(f"card {i}") for i in range(count)))


def test_removed_widgets_do_not_keep_their_render_caches():
    """Textual's ``StylesCache.get_inner_outer`` cached on the instance (Textualize/textual#6665): every
    widget that was ever painted kept its cache of rendered lines."""
    stop_styles_cache_leak()
    app = Cards()

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(5):
                await app.rebuild(40)
                await pilot.pause()
            gc.collect()
            widgets = live(Widget)
            caches = live(StylesCache)
            assert widgets >= 40
            assert caches <= widgets, f"{caches} render caches for {widgets} widgets"

    asyncio.run(main())


def test_the_workaround_applies_once():
    stop_styles_cache_leak()
    assert stop_styles_cache_leak() is False
    assert isinstance(StylesCache.__dict__["get_inner_outer"], staticmethod)
