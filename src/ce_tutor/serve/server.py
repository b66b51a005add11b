"""The class server: textual-serve's :class:`~textual_serve.server.Server`, with a cap on tabs, an idle
timeout, a clean shutdown and ce-tutor's own page.

Protocol (textual-serve 1.1): the page opens a websocket at ``/ws?width=W&height=H`` and sends JSON
arrays: ``["stdin", text]`` (key presses), ``["resize", {"width": W, "height": H}]``, ``["ping", t]``,
``["focus"]``, ``["blur"]``. The server starts one app process per websocket (with ``TEXTUAL_DRIVER`` set
to Textual's web driver) and sends the app's terminal output back as binary messages.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from ce_tutor.serve import ServeOptions

log = logging.getLogger("ce-tutor-serve")

#: How long a tab has to end after it is asked to quit (Ctrl-C, idle) before its process is killed.
QUIT_GRACE_S = 10.0
TEMPLATES = Path(__file__).parent / "templates"

#: The tabs' Python bytecode, compiled with ``-OO``, in the class folder (see :func:`prepare_bytecode`).
BYTECODE_DIR = Path("cache") / "bytecode"
#: What a tab imports on its way through a lesson (with what these import), compiled before the first tab
#: starts. A module left out (or one a later Textual imports instead) is compiled by the first tab that
#: needs it, and kept; a name here that this Textual or Python does not have is skipped.
TAB_MODULES = ("ce_tutor.serve.tab", "ce_tutor.tui.launch", "ce_tutor.tui.app", "ce_tutor.tui.library",
               "ce_tutor.tui.screens.who", "ce_tutor.tui.screens.player", "ce_tutor.tui.screens.review",
               "ce_tutor.tui.screens.dialogs", "ce_tutor.tui.screens.help", "ce_tutor.classroom", "ce_tutor.progress",
               "ce_tutor.lessons.cache", "ce_tutor.lessons.catalog", "ce_tutor.lessons.index",
               "ce_tutor.lessons.player",
               "ce_tutor.lessons.runtime", "ce_tutor.lessons.explore", "ce_tutor.lessons.plots", "importlib.util",
               "ce_tutor.plotting.layout", "ce_tutor.review.session", "ce_tutor.review.rating",
               "ce_tutor.review.schedule", "textual.drivers.web_driver", "textual.pilot", "textual.scrollbar",
               "textual.layouts.factory", "concurrent.futures.thread", "statistics", "_strptime")
_WARM = """
import importlib
for name in {names!r}:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
try:  # the table of character widths, chosen when the first text is measured (Rich 14)
    import rich._unicode_data
    rich._unicode_data.load()
except (ImportError, AttributeError):
    pass
"""
#: glibc's malloc arenas in a tab's process (see :meth:`_Session._build_environment`).
TAB_MALLOC_ARENAS = "2"
#: How long compiling that may take (a few seconds the first time; well under one after).
BYTECODE_TIMEOUT_S = 300.0


class _Session(AppService):
    """One tab's app process, with ce-tutor's environment."""

    def __init__(self, *args: Any, class_dir: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.class_dir = class_dir
        self.last_input = time.monotonic()

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        # The lesson cache of the whole class is DIR/cache (each learner's progress has its own folder).
        env["CE_TUTOR_HOME"] = str(self.class_dir)
        env.pop("TEXTUAL", None)
        # A tab's bytecode cache is the class's own (DIR/cache/bytecode): a module the start-up did not
        # compile is written there by the first tab that imports it, even where writing is off by default.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # glibc gives each thread that allocates its own malloc arena (up to 8 per core), and memory freed
        # in one arena is not reused by another. A tab's threads (Textual's input thread, the workers that
        # load the lessons and compute each step) each kept one: two arenas take 0.9 MiB off a tab's peak
        # RSS, and its threads rarely allocate at once. A value the teacher set is kept.
        env.setdefault("MALLOC_ARENA_MAX", TAB_MALLOC_ARENAS)
        return env

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass


class ClassServer(Server):
    def __init__(self, options: ServeOptions, command: str) -> None:
        super().__init__(command, host=options.host, port=options.port, title="ce-tutor")
        self.options = options
        self.templates_path = TEMPLATES
        self.sessions: set[_Session] = set()
        self.refused = 0

    # -- pages -----------------------------------------------------------------------------------------
    @property
    def full(self) -> bool:
        cap = self.options.max_learners
        return cap is not None and len(self.sessions) >= cap

    def _full_text(self) -> str:
        return (f"The class is full: {self.options.max_learners} learners are using ce-tutor right now. "
                "Please try again in a few minutes; your progress is kept.")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        if self.full:
            self.refused += 1
            page = (TEMPLATES / "full.html").read_text(encoding="utf-8")
            return web.Response(text=page.replace("{{ message }}", html.escape(self._full_text())),
                                status=503, content_type="text/html", headers={"Retry-After": "60"})
        # The websocket's address is the one the browser used, so that --host 0.0.0.0 works from
        # other machines (textual-serve would put "0.0.0.0" in the page).
        scheme, host = _public(request)
        base = f"{scheme}://{host}"
        ws = ("wss://" if scheme == "https" else "ws://") + host + "/ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": ws,
            "static_url": f"{base}/static/",
            "idle_minutes": _minutes(self.options.idle_seconds),
        }
        return aiohttp_jinja2.render_template("index.html", request, context)

    # -- tabs ------------------------------------------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in (request.host, _public(request)[1]):
            # Another web site's page, opened in a learner's browser, may not drive a tab of the class.
            return web.Response(status=403, text="ce-tutor: this page may only be used from its own address.")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.full:  # the page was served before the class filled up
            self.refused += 1
            await websocket.send_bytes(("\x1b[2J\x1b[H\r\n  " + self._full_text() + "\r\n").encode())
            await websocket.close()
            return websocket
        width = max(20, min(to_int(request.query.get("width", "80"), 80), 500))
        height = max(5, min(to_int(request.query.get("height", "24"), 24), 200))
        session = _Session(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                           close=websocket.close, download_manager=self.download_manager,
                           class_dir=self.options.class_dir)
        self.sessions.add(session)
        watchdog: asyncio.Task[None] | None = None
        try:
            await session.start(width, height)
            watchdog = asyncio.create_task(self._watch_idle(session, websocket))
            await self._relay(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # noqa: BLE001 - one tab's trouble must not stop the class
            log.warning("a tab ended after an error: %s", error)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            await self._end(session)
            self.sessions.discard(session)
            if not websocket.closed:
                await websocket.close()
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, session: _Session) -> None:
        """Pass the browser's messages to the app; key presses and resizes count as activity."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind = envelope[0]
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(envelope[1], str):
                session.last_input = time.monotonic()
                # A lone surrogate (valid JSON, not Unicode) becomes "?" rather than ending the tab.
                await session.send_bytes(envelope[1].encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(envelope[1], dict):
                session.last_input = time.monotonic()
                size = envelope[1]
                await session.set_terminal_size(max(20, min(to_int(str(size.get("width")), 80), 500)),
                                                max(5, min(to_int(str(size.get("height")), 24), 200)))
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1] if len(envelope) > 1 else ""])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def _watch_idle(self, session: _Session, websocket: web.WebSocketResponse) -> None:
        limit = self.options.idle_seconds
        while True:
            left = session.last_input + limit - time.monotonic()
            if left <= 0:
                log.info("a tab was idle for %s and ends", _minutes(limit))
                await self._end(session)
                await websocket.close()
                return
            await asyncio.sleep(min(left, 30.0) + 0.05)

    async def _end(self, session: _Session) -> None:
        """Ask the tab's app to quit (it saves as it goes, and closes its store); kill it if it hangs."""
        try:
            await asyncio.wait_for(asyncio.shield(session.stop()), QUIT_GRACE_S)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        if session._process is not None and session._process.returncode is None:
            try:
                await asyncio.wait_for(session._process.wait(), QUIT_GRACE_S)
            except asyncio.TimeoutError:
                log.warning("a tab did not end in time and was stopped")
                session.kill()

    # -- start and stop --------------------------------------------------------------------------------
    async def on_startup(self, app: web.Application) -> None:
        pass

    async def on_shutdown(self, app: web.Application) -> None:
        if self.sessions:
            print(f"Ending {len(self.sessions)} session(s); progress is saved...", flush=True)
        await asyncio.gather(*(self._end(s) for s in list(self.sessions)), return_exceptions=True)


def _public(request: web.Request) -> tuple[str, str]:
    """The scheme and host the browser used: behind a reverse proxy (HTTPS), from its X-Forwarded-Proto
    and X-Forwarded-Host headers (a browser's own page cannot set them on a websocket)."""
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip().lower()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return (scheme if scheme in ("http", "https") else request.scheme), host


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minute{'s' * (minutes != 1)}"


def tab_python(options: ServeOptions) -> list[str]:
    """Python and its options for a tab's app process.

    With the class's bytecode prepared (:func:`prepare_bytecode`), ``-OO``: a tab then keeps no docstrings
    (about 2.7 MiB of the ~670 modules it imports, numpy's most of all; 3 MiB off a tab's peak RSS) and runs
    no ``assert`` (ce-tutor checks its input with code, never with asserts). Its bytecode is read from the
    class folder (``-X pycache_prefix``), where the server compiled it: ``-OO`` bytecode has its own files,
    which an installed package rarely has and often may not write next to its modules.
    """
    if options.bytecode is None:
        return [sys.executable]
    return [sys.executable, "-OO", "-X", f"pycache_prefix={options.bytecode}"]


def tab_command(options: ServeOptions) -> str:
    """The command line of one tab's app process (run by a shell; ``exec`` so the app gets the signals)."""
    words = [*tab_python(options), "-m", "ce_tutor.serve.tab", str(options.class_dir)]
    if options.roster is not None:
        words += ["--roster", str(options.roster)]
    for folder in options.lessons:
        words += ["--lessons", str(folder)]
    return "exec " + shlex.join(words)


def prepare_bytecode(options: ServeOptions) -> str | None:
    """Compile what a tab imports, with ``-OO``, into ``DIR/cache/bytecode`` (by importing it in a child
    process, as a tab will); set ``options.bytecode`` when that worked. Up to date bytecode is only checked,
    which takes well under a second. A warning if it failed: the tabs then run without ``-OO``."""
    prefix = options.class_dir / BYTECODE_DIR
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-OO", "-X", f"pycache_prefix={prefix}", "-c", _WARM.format(names=TAB_MODULES)]
    try:
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=BYTECODE_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        problem = str(getattr(exc, "strerror", None) or exc)
    else:
        if done.returncode == 0:
            options.bytecode = prefix
            return None
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"status {done.returncode}"]
        problem = problem[0]
    return (f"ce-tutor serve: warning: the tabs' bytecode could not be prepared in {prefix} ({problem}); "
            "each tab will use about 3 MiB more memory.")


def prepare(options: ServeOptions) -> tuple[int, str | None]:
    """Set up the class folder, check the roster and the lessons. (status, message) on a problem."""
    from ce_tutor.classroom import ClassError, class_seed, read_roster

    options.class_dir = options.class_dir.expanduser().resolve()
    try:
        options.class_dir.mkdir(parents=True, exist_ok=True)
        class_seed(options.class_dir, create=True)
    except ClassError as exc:
        return 1, f"ce-tutor serve: {exc}"
    except OSError as exc:
        return 1, f"ce-tutor serve: cannot make the class folder {options.class_dir}: {exc.strerror or exc}"
    if options.roster is not None:
        options.roster = options.roster.expanduser().resolve()
        try:
            read_roster(options.roster)
        except ClassError as exc:
            return 2, f"ce-tutor serve: {exc}"
    options.lessons = [p.expanduser().resolve() for p in options.lessons]
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import lesson_dirs, load_catalog

    # Validated once here, so that no tab has to: they all read the class's lesson cache.
    catalog = load_catalog(lesson_dirs(extra=options.lessons), LessonCache(options.class_dir / "cache" / "lessons"))
    for problem in catalog.problems:
        print(problem, file=sys.stderr)
    if not catalog.lessons:
        return 1, "ce-tutor serve: no lessons to serve."
    warning = prepare_bytecode(options)
    if warning:
        from ce_tutor.text import safe

        print(safe(warning), file=sys.stderr)
    return 0, None


def run(options: ServeOptions) -> int:
    status, message = prepare(options)
    if message:
        print(message, file=sys.stderr)
        return status
    server = ClassServer(options, tab_command(options))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("textual-serve").setLevel(logging.ERROR)
    try:
        sock = socket.create_server((options.host, options.port), reuse_port=False)
    except OSError as exc:
        print(f"ce-tutor serve: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 3
    port = sock.getsockname()[1]
    shown = options.host if options.host not in ("0.0.0.0", "::", "") else socket.gethostname()
    if ":" in shown:
        shown = f"[{shown}]"
    who = "a join code from the roster" if options.roster else "their name"
    cap = f", at most {options.max_learners} at once" if options.max_learners else ""
    print(f"ce-tutor is serving the class in {options.class_dir}\n"
          f"Open http://{shown}:{port}/ in a browser: each tab asks for {who}{cap}.\n"
          f"An idle tab ends after {_minutes(options.idle_seconds)}. "
          f"Press Ctrl+C to stop (progress is saved).", flush=True)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def stop() -> None:
        raise GracefulExit()

    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        web.run_app(server._make_app(), sock=sock, handle_signals=False, loop=loop, print=lambda *a: None,
                    access_log=None, shutdown_timeout=QUIT_GRACE_S + 5)
    finally:
        loop.close()
    print("ce-tutor serve: stopped; every learner's progress is saved.", flush=True)
    return 0

