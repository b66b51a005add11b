"""Ending well: a crash leaves a log and exit status 1 with no traceback on the terminal; ctrl+c exits 0.

These run ``ce_tutor.tui.run`` in a child process on a real pseudo-terminal of 80x24.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import LESSONS, START, run_in_terminal

from ce_tutor.crash import write_crash_log

pytestmark = pytest.mark.slow

CRASH = """
from ce_tutor.tui.screens.browser import BrowserScreen
def boom(self, select=None):
    raise RuntimeError("boom: a bug in a handler")
BrowserScreen.refresh_lessons = boom
"""


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
