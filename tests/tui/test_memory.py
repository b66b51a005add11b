"""What the app lets go of: removed widgets and old steps must not stay alive (they are most of the peak RSS
of a lesson, which benchmarks/bench_tui.py measures)."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label
from tui_helpers import LESSONS, START, make_app, open_first_lesson, run_in_terminal

from ce_tutor.tui.launch import openssl_left_out
from ce_tutor.tui.widgets.explorer import ExplorerView
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.quiz import QuizView
from ce_tutor.tui.widgets.steps import PlotView, ProseView
from ce_tutor.tui.workarounds import stop_styles_cache_leak

STEP_VIEWS = (ProseView, PlotView, ExplorerView, QuizView)


def live(kind: type | tuple[type, ...]) -> int:
    """Objects of ``kind`` the collector tracks, unreachable ones included (no collection is run here)."""
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


@contextmanager
def no_automatic_collection() -> Iterator[None]:
    """Python's own collections run at moments no test can predict: switch them off, so that only the
    collections the app runs itself free anything."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


def test_the_player_frees_the_steps_it_leaves(tmp_path):
    """Each step change runs a full collection once the new step is painted: the old step's widgets (a
    cycle: each knows its parent) would otherwise wait for Python's next full collection, which comes only
    after many thousand new objects."""
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            player = await open_first_lesson(pilot)
            with no_automatic_collection():
                for key, index in (("n", 1), ("n", 2), ("p", 1), ("p", 0), ("n", 1), ("n", 2), ("n", 3)):
                    await pilot.press(key)
                    await pilot.pause()
                    assert player.run.index == index
                await pilot.pause()
                assert isinstance(player.query_one("#step").children[0], QuizView)
                assert live(STEP_VIEWS) == 1  # the step on the screen
                assert live(LessonPlot) == 0  # each plot had subscribed to the app's theme changes

    asyncio.run(main())


REPORT_AT_EXIT = """
import atexit, json, sys
def report():
    with open('/proc/self/maps') as maps:
        mapped = maps.read()
    with open({report!r}, 'w') as out:
        json.dump({{"loaded": [m for m in ("ssl", "_hashlib") if sys.modules.get(m) is not None],
                   "hashlib": "hashlib" in sys.modules, "libcrypto": "libcrypto" in mapped}}, out)
atexit.register(report)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
def test_the_app_never_loads_openssl(tmp_path):
    """OpenSSL's libcrypto would be 4.5 MiB of the app's memory, for TLS it never uses."""
    report = tmp_path / "report.json"
    code = START.format(patch=REPORT_AT_EXIT.format(report=str(report)), lessons=str(LESSONS),
                        data=str(tmp_path / "data"))
    status, output = run_in_terminal(code, send_when=(b"Basics", b"\x11"))  # the lessons loaded: ctrl+q
    assert status == 0, output[-2000:]
    seen = json.loads(report.read_text())
    assert seen == {"loaded": [], "hashlib": True, "libcrypto": False}  # hashlib: the lesson cache ran


def test_openssl_is_left_out_only_for_a_while():
    code = """
import sys
from ce_tutor.tui.launch import openssl_left_out
with openssl_left_out():
    import hashlib
    try:
        import ssl
    except ImportError:
        print("no ssl inside")
print(hashlib.sha256(b"ce").hexdigest(), hashlib.blake2b(b"ce", digest_size=8, person=b"p").hexdigest())
import ssl
print("ssl after:", ssl.__name__)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    inside, digests, after = result.stdout.splitlines()
    assert inside == "no ssl inside" and after == "ssl after: ssl"
    assert digests.split() == [hashlib.sha256(b"ce").hexdigest(),  # Python's own hashes: the same digests
                               hashlib.blake2b(b"ce", digest_size=8, person=b"p").hexdigest()]


def test_openssl_left_out_leaves_modules_already_imported_alone():
    import ssl

    with openssl_left_out():
        assert sys.modules["ssl"] is ssl
    assert sys.modules["ssl"] is ssl

