"""Drive ``ce-tutor serve`` as browsers do: a server subprocess, and tabs speaking textual-serve's protocol.

The page's script opens ``/ws?width=W&height=H`` and sends JSON arrays (``["stdin", keys]``,
``["resize", {...}]``); the server answers with the app's terminal output as binary messages. A
:class:`Tab` keeps that output with the escape sequences taken out, so tests can wait for words on screen.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
WAIT = 60.0  # generous: the machine may be busy


_BYTECODE: list[Path] = []


def tab_bytecode() -> Path:
    """What ``ce-tutor serve`` compiles for its tabs at its first start in a class folder (about 4 s of CPU),
    compiled once per test process: each new class folder gets a copy, as if the server had started there
    before, and the server then only checks it."""
    if not _BYTECODE:
        import tempfile
        from types import SimpleNamespace

        from ce_tutor.serve.server import prepare_bytecode

        options = SimpleNamespace(class_dir=Path(tempfile.mkdtemp(prefix="ce-tutor-tab-bytecode-")), bytecode=None)
        assert prepare_bytecode(options) is None  # type: ignore[arg-type]
        _BYTECODE.append(options.bytecode)
    return _BYTECODE[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``ce-tutor serve --class DIR --port P [args]`` in a subprocess; waits for its "Open http" line."""

    def __init__(self, class_dir: Path, *args: str, home: Path | None = None) -> None:
        from ce_tutor.serve.server import BYTECODE_DIR

        self.class_dir = class_dir
        if not (class_dir / BYTECODE_DIR).exists():
            import shutil

            shutil.copytree(tab_bytecode(), class_dir / BYTECODE_DIR)
        self.port = free_port()
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("CE_TUTOR_LESSONS", None)
        if home is not None:
            env["CE_TUTOR_HOME"] = str(home)
        self.log = class_dir.parent / f"serve-{self.port}.log"
        self.log_file = open(self.log, "w+b")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ce_tutor", "serve", "--class", str(class_dir), "--port", str(self.port),
             *args], stdout=self.log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + WAIT
        while b"Open http" not in self.output_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not start:\n{self.output()}")
            time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"

    def output_bytes(self) -> bytes:
        return self.log.read_bytes()

    def output(self) -> str:
        return self.output_bytes().decode("utf-8", "replace")

    def interrupt(self, timeout: float = WAIT) -> int:
        """Ctrl-C, as a teacher would; the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Tab:
    """One browser tab: a websocket to the server, and the text of everything it drew."""

    def __init__(self, session: aiohttp.ClientSession, url: str, width: int = 80, height: int = 24) -> None:
        self.session, self.url, self.width, self.height = session, url, width, height
        self.raw = bytearray()
        self.closed = False
        self._mark = 0

    async def __aenter__(self) -> Tab:
        ws_url = self.url.replace("http://", "ws://") + f"/ws?width={self.width}&height={self.height}"
        self.ws = await self.session.ws_connect(ws_url)
        await self.ws.send_str(json.dumps(["resize", {"width": self.width, "height": self.height}]))
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        self._reader.cancel()
        try:
            await self._reader
        except asyncio.CancelledError:
            pass

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.raw += message.data
        self.closed = True

    @property
    def text(self) -> str:
        return ESCAPES.sub(b"", bytes(self.raw)).decode("utf-8", "replace")

    def mark(self) -> None:
        """Later waits look only at what is drawn from now on (counted in bytes received: the text of a
        buffer that ends inside an escape sequence shrinks once the sequence is complete)."""
        self._mark = len(self.raw)

    @property
    def fresh(self) -> str:
        """The text drawn since the mark."""
        return ESCAPES.sub(b"", bytes(self.raw[self._mark:])).decode("utf-8", "replace")

    async def wait_for(self, *words: str, timeout: float = WAIT) -> str:
        """Wait until one of ``words`` is drawn (after the mark); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = self.fresh
            for word in words:
                if word in fresh:
                    return word
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"none of {words} on screen; the tab drew:\n{self.text[-3000:]}")
            await asyncio.sleep(0.05)

    async def wait_closed(self, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError("the tab was not closed")
            await asyncio.sleep(0.1)

    async def keys(self, text: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", text]))

    async def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the tab has drawn nothing for ``quiet`` seconds, as a person reads a screen before
        pressing the next key (a step's header is drawn before its body, which is computed in a worker)."""
        deadline = time.monotonic() + timeout
        size, since = len(self.raw), time.monotonic()
        while time.monotonic() < deadline and not self.closed:
            await asyncio.sleep(0.05)
            if len(self.raw) != size:
                size, since = len(self.raw), time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    async def press(self, text: str, *then: str, timeout: float = WAIT) -> str:
        """Once the screen has settled, send keys and wait for one of ``then`` to be drawn afterwards."""
        await self.settle()
        self.mark()
        await self.keys(text)
        return await self.wait_for(*then, timeout=timeout)

    async def sign_in(self, name: str) -> None:
        await self.wait_for("Welcome to ce-tutor")
        await self.press(name + "\r", "lessons done")

    async def go_to_step(self, wanted: int, steps: int = 12) -> None:
        """From wherever the lesson is (another tab of the same learner may have moved it on), step to
        ``wanted`` with n and p."""
        while True:
            shown = re.findall(rf"step (\d+)/{steps}", self.text)
            assert shown, "not in a lesson"
            now = int(shown[-1])
            if now == wanted:
                return
            await self.press("n" if now < wanted else "p", f"step {now + (1 if now < wanted else -1)}/{steps}")

    async def answer_quiz_at(self, step: int, answer: str) -> str:
        """Open Softmax (or resume it), go to the quiz at ``step`` and answer it; the verdict's title."""
        await self.press("\r", "esc Lessons")  # the lesson's footer: it is open
        await self.go_to_step(step)
        await self.wait_for("Your answer")
        await self.press("\r", "Leave box")
        return await self.press(answer + "\r", "Correct", "Not right", "Close", "Not quite")

    async def answer_first_quiz(self, answer: str = "0.5") -> str:
        """Open Softmax, go to its first quiz (step 9) and answer it; the verdict's title."""
        await self.press("\r", "step 1/12")
        for step in range(2, 10):
            await self.press("n", f"step {step}/12")
        await self.wait_for("Your answer")
        await self.press("\r", "Leave box")  # Enter puts the focus in the answer box
        return await self.press(answer + "\r", "Correct", "Not right", "Close", "Not quite")
