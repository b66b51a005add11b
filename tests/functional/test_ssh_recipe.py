"""The SSH recipe of the README, as sshd carries it out, under a pseudo-terminal.

Each student key in ``authorized_keys`` gets ``command="ce-tutor --data-dir /srv/ce/NAME",restrict,pty``.
For such a key sshd allocates a pty (``pty`` re-allows it after ``restrict``), ignores whatever command the
student asked for (it only puts it in ``SSH_ORIGINAL_COMMAND``) and runs the forced command with the user's
shell, ``$SHELL -c "ce-tutor --data-dir /srv/ce/NAME"``, passing on ``TERM`` and, with ``SendEnv COLORTERM``
on the client and ``AcceptEnv COLORTERM`` on the server, ``COLORTERM``. These tests do exactly that.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from serve_helpers import ESCAPES

pytestmark = pytest.mark.slow

FORCED = "ce-tutor --data-dir {data}"


class SshSession:
    """What sshd runs for a student key: the forced command in a shell, on an 80x24 pty."""

    def __init__(self, data: Path, home: Path, colorterm: str | None, asked: str = "") -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home), "USER": "ce",
               "SHELL": "/bin/sh", "TERM": "xterm-256color", "LANG": "C.UTF-8",
               "SSH_CONNECTION": "192.0.2.7 50022 192.0.2.1 22", "SSH_TTY": os.ttyname(slave),
               "TEXTUAL_ANIMATIONS": "none"}
        if asked:
            env["SSH_ORIGINAL_COMMAND"] = asked
        if colorterm:
            env["COLORTERM"] = colorterm
        self.child = subprocess.Popen(["/bin/sh", "-c", FORCED.format(data=data)], stdin=slave, stdout=slave,
                                      stderr=slave, env=env, start_new_session=True, cwd=home)
        os.close(slave)
        self.output = b""

    def read_until(self, word: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while word.encode() not in ESCAPES.sub(b"", self.output):
            left = deadline - time.monotonic()
            assert left > 0, f"{word!r} never showed; the screen had {ESCAPES.sub(b'', self.output)[-1500:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                assert chunk, f"the session ended before {word!r} showed"
                self.output += chunk

    def keys(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> int:
        try:
            status = self.child.wait(timeout=60)
        finally:
            os.close(self.master)
            if self.child.poll() is None:
                os.killpg(self.child.pid, signal.SIGKILL)
                self.child.wait()
        return status

    def drain(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 2)
            if not ready:
                return
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk


def test_a_student_key_gets_the_tutor_in_their_own_data_dir_whatever_command_they_ask_for(tmp_path):
    srv = tmp_path / "srv" / "ce"
    session = SshSession(srv / "ada", tmp_path, "truecolor", asked="bash -i")  # `ssh host bash -i`
    try:
        session.read_until("lessons done")
        session.read_until("Softmax")
        session.keys(b"\r")
        session.read_until("step 1/12")
        session.keys(b"n")
        session.read_until("step 2/12")
        session.keys(b"\x11")  # ctrl+q
        session.drain()
    finally:
        status = session.close()
    assert status == 0
    assert b"\x1b[38;2;" in session.output  # COLORTERM came through: true colour
    with sqlite3.connect(srv / "ada" / "progress.sqlite3") as conn:
        assert conn.execute("SELECT lesson_id, current_step FROM lessons").fetchall() == [("softmax", 1)]
    assert sorted(p.name for p in srv.iterdir()) == ["ada"]


def test_without_colorterm_the_tutor_keeps_to_256_colours(tmp_path):
    session = SshSession(tmp_path / "srv" / "bo", tmp_path, None)
    try:
        session.read_until("lessons done")
        session.keys(b"\x11")
        session.drain()
    finally:
        status = session.close()
    assert status == 0
    assert b"\x1b[38;2;" not in session.output and b"38;5;" in session.output
