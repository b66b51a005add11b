"""Ending well: a crash leaves a log and exit status 1 with no traceback on the terminal; ctrl+c exits 0.

These run ``ce_tutor.tui.run`` in a child process on a real pseudo-terminal of 80x24.
"""

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

import pytest
from tui_helpers import LESSONS

from ce_tutor.crash import write_crash_log

pytestmark = pytest.mark.slow

START = """
import sys
from pathlib import Path
from ce_tutor.tui import AppOptions, run
{patch}
sys.exit(run(AppOptions(lesson_dirs=[Path({lessons!r})], data_dir=Path({data!r}), seed=1)))
"""
CRASH = """
from ce_tutor.tui.screens.browser import BrowserScreen
def boom(self, select=None):
    raise RuntimeError("boom: a bug in a handler")
BrowserScreen.refresh_lessons = boom
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


def test_a_crash_is_logged_and_exits_1_without_a_traceback(tmp_path):
    code = START.format(patch=CRASH, lessons=str(LESSONS), data=str(tmp_path))
    status, output = run_in_terminal(code)
    assert status == 1
    assert "Traceback" not in output and "boom" not in output
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    assert "ce-tutor stopped after an unexpected error. Your progress is saved." in output
    assert str(logs[0]) in output.replace("\r\n", "")
    log = logs[0].read_text()
    assert "Traceback" in log and "RuntimeError: boom: a bug in a handler" in log


def test_ctrl_c_ends_the_app_with_status_0(tmp_path):
    code = START.format(patch="", lessons=str(LESSONS), data=str(tmp_path))
    status, output = run_in_terminal(code, send_when=(b"lessons done", b"\x03"))
    assert status == 0
    assert "Traceback" not in output
    assert not (tmp_path / "logs").exists()


def test_crash_logs_fall_back_to_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "tmp"))
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    try:
        raise ValueError("something broke")
    except ValueError as exc:
        path = write_crash_log(exc, blocked)
    assert path is not None and path.is_relative_to(tmp_path / "tmp")
    assert "ValueError: something broke" in path.read_text()


def test_crash_logs_never_overwrite(tmp_path):
    first = write_crash_log(None, tmp_path, "first")
    second = write_crash_log(None, tmp_path, "second")
    assert first is not None and second is not None and first != second
    assert "first" in Path(first).read_text() and "second" in Path(second).read_text()
