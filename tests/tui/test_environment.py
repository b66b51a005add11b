"""The app in a hostile environment, on a real pseudo-terminal: SIGTERM and SIGHUP end it as Ctrl+Q does
(terminal restored, progress saved, status 128 + signal); a byte on stdin that is not UTF-8 is not fatal;
a panic is never a silent exit 0; a TEXTUAL_COLOR_SYSTEM Textual cannot use is replaced by detection."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tui_helpers import LESSONS, START

from ce_tutor.progress import ProgressStore
from ce_tutor.tui.launch import check_color_system

pytestmark = pytest.mark.slow

Action = bytes | Callable[[subprocess.Popen[bytes]], None]


def drive(code: str, steps: list[tuple[bytes, Action]], env: dict[str, str] | None = None,
          timeout: float = 60) -> tuple[int, str, list]:
    """Run ``python -c code`` on an 80x24 pseudo-terminal; for each step, once its text has shown (after the
    previous step), type its bytes or call it with the child. Returns the exit status, everything the child
    wrote, and the terminal's settings after it ended."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    before = termios.tcgetattr(slave)
    environ = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none", **(env or {})}
    child = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave,
                             env=environ, start_new_session=True)
    output, seen, pending = b"", 0, list(steps)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                output += os.read(master, 65536)
            if pending and pending[0][0] in output[seen:]:
                seen = output.index(pending[0][0], seen) + len(pending[0][0])
                action = pending.pop(0)[1]
                os.write(master, action) if isinstance(action, bytes) else action(child)
            if child.poll() is not None and not select.select([master], [], [], 0.2)[0]:
                break
        else:
            pytest.fail(f"the app did not end; waiting for {pending[:1]!r}; it wrote: {output[-1500:]!r}")
        after = termios.tcgetattr(slave)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        os.close(master)
        os.close(slave)
    assert after[3] == before[3], "the terminal was left in raw mode"
    return child.returncode, output.decode("utf-8", "replace"), after


def app_code(data: Path, patch: str = "") -> str:
    return START.format(patch=patch, lessons=str(LESSONS), data=str(data))


def send(signum: int) -> Callable[[subprocess.Popen[bytes]], None]:
    return lambda child: child.send_signal(signum)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_restores_the_terminal_saves_progress_and_exits_128_plus_signal(tmp_path, signum):
    steps = [(b"lessons done", b"\r"), (b"step 1/5", b"n"), (b"step 2/5", send(signum))]
    status, output, _ = drive(app_code(tmp_path), steps)
    assert status == 128 + signum
    ending = output[output.rindex("step 2/5"):]
    for restore in ("\x1b[?1049l", "\x1b[?1000l", "\x1b[?1003l", "\x1b[?25h"):  # main screen, mouse off, cursor
        assert restore in ending, repr(restore)
    assert f"stopped by {signal.Signals(signum).name}. Your progress is saved." in ending
    assert "Traceback" not in output and not (tmp_path / "logs").exists()
    with ProgressStore(tmp_path) as store:
        assert store.lessons()["basics"].current_step == 1


def test_a_terminal_that_goes_away_without_a_sighup_ends_the_app_with_progress_saved(tmp_path):
    """The app in its own session (no controlling terminal, so no SIGHUP when the terminal closes, as with
    SIGHUP ignored under nohup): once the terminal's other end closes, the app ends with status 129 and
    its progress saved, instead of reading nothing from it at full CPU forever."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environ = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    child = subprocess.Popen([sys.executable, "-c", app_code(tmp_path)], stdin=slave, stdout=slave,
                             stderr=slave, env=environ, start_new_session=True)
    os.close(slave)
    output = b""
    try:
        for wanted, keys in ((b"lessons done", b"\r"), (b"step 1/5", b"n"), (b"step 2/5", None)):
            deadline = time.monotonic() + 60
            while wanted not in output and time.monotonic() < deadline:
                if select.select([master], [], [], 0.1)[0]:
                    output += os.read(master, 65536)
            assert wanted in output, output[-1500:]
            if keys:
                os.write(master, keys)
        time.sleep(0.3)  # the step is saved as it is shown
        os.close(master)  # the terminal goes away
        master = -1
        status = child.wait(timeout=30)
    finally:
        if master >= 0:
            os.close(master)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert status == 129
    assert not (tmp_path / "logs").exists()  # an ending, not a crash
    with ProgressStore(tmp_path) as store:
        assert store.lessons()["basics"].current_step == 1


def test_a_byte_that_is_not_utf8_on_stdin_is_not_fatal(tmp_path):
    # after the bad bytes the app still answers: ? opens the help (its title is "Keys"), then ctrl+q quits
    steps = [(b"lessons done", b"\xff\xfe"), (b"", b"?"), (b"Keys", b"\x11")]
    status, output, _ = drive(app_code(tmp_path), steps)
    assert status == 0 and "Traceback" not in output and not (tmp_path / "logs").exists()


STRICT_DECODER = """
import ce_tutor.tui.workarounds as w
w.tolerate_bad_input_bytes = lambda: False
"""


def test_a_panic_in_textual_is_a_crash_with_a_log_not_a_silent_exit_0(tmp_path):
    status, output, _ = drive(app_code(tmp_path, STRICT_DECODER), [(b"lessons done", b"\xff")])
    assert status == 1
    assert "ce-tutor stopped after an unexpected error. Your progress is saved." in output
    (log,) = (tmp_path / "logs").glob("crash-*.log")
    assert "UnicodeDecodeError" in log.read_text()


def test_an_unusable_colour_system_is_detected_instead(tmp_path):
    status, output, _ = drive(app_code(tmp_path), [(b"lessons done", b"\x11")], env={"TEXTUAL_COLOR_SYSTEM": "bogus"})
    assert status == 0 and not (tmp_path / "logs").exists()
    assert "TEXTUAL_COLOR_SYSTEM='bogus' is not one of auto, standard, 256, truecolor, windows" in output


def test_check_color_system_keeps_what_textual_accepts_and_drops_the_rest():
    for value in ("auto", "standard", "256", "truecolor", "windows"):
        environ = {"TEXTUAL_COLOR_SYSTEM": value}
        assert check_color_system(environ) is None and environ == {"TEXTUAL_COLOR_SYSTEM": value}
    for value in ("", "16", "TRUECOLOR"):
        environ = {"TEXTUAL_COLOR_SYSTEM": value}
        assert f"TEXTUAL_COLOR_SYSTEM={value!r} is not one of" in check_color_system(environ) and environ == {}
    assert check_color_system({}) is None
