"""Helpers for driving the app with Pilot (imported by the tests in this folder)."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest

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
    """Wait until the lessons have loaded (the list, then the lessons themselves) and the app has settled."""
    app = pilot.app
    assert isinstance(app, TutorApp)
    for _ in range(400):
        if app.library is not None and app.lessons_ready:
            break
        await pilot.pause(0.02)
    assert app.library is not None, "the lessons did not load"
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until the app's workers are done and what they computed is on the screen: a step's body, an
    explorer's lines after a move and a plot are computed in worker threads, and a result can start
    another (a plot laid out for the first time computes its numbers)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    app = pilot.app
    for _ in range(200):
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):  # work for a view gone, say: what the test looks at next
            pass
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            await pilot.pause()
            if all(worker.is_finished for worker in app.workers) and _plots_shown(app):
                return
    raise AssertionError(f"the app's workers never finished: {list(app.workers)}")


def _plots_shown(app: Any) -> bool:
    """Whether every plot on the screen shows what its worker computed for its width (its numbers, or why
    there are none): the result comes as a message after the worker has finished."""
    from ce_tutor.tui.widgets.plot import LessonPlot

    return all(plot.settled for plot in app.screen.query(LessonPlot) if plot.size.width)


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


# -- the real app in a child process on a pseudo-terminal ------------------------------------------------
#: ``python -c`` code that runs the app as ``ce-tutor`` does, after ``{patch}``.
START = """
import sys
from pathlib import Path
from ce_tutor.tui import AppOptions, run
{patch}
sys.exit(run(AppOptions(lesson_dirs=[Path({lessons!r})], data_dir=Path({data!r}), seed=1)))
"""


def run_in_terminal(code: str, *, send_when: tuple[bytes, bytes] | None = None) -> tuple[int, str]:
    """Run ``python -c code`` on an 80x24 pseudo-terminal; once ``send_when[0]`` shows, type
    ``send_when[1]``. Returns the exit status and everything the child wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    child = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave,
                             env=env, start_new_session=True)
    os.close(slave)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                pytest.fail(f"the app hung; it wrote: {output[-2000:]!r}")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if send_when is not None and send_when[0] in output:
                os.write(master, send_when[1])
                send_when = None
        status = child.wait(timeout=30)
    finally:
        os.close(master)
        if child.poll() is None:  # never leave a child behind on a closed terminal
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return status, output.decode("utf-8", "replace")
