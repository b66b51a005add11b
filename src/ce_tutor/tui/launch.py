"""Starting the app and ending it well: a bad theme is a usage error, a crash leaves a log, not a traceback."""

from __future__ import annotations

import functools
import io
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from ce_tutor.text import safe
from ce_tutor.tui import AppOptions


def unknown_theme(name: str | None) -> str | None:
    """The error message for a theme Textual does not have, or None if ``name`` is fine."""
    from textual.theme import BUILTIN_THEMES

    if name is None or name in BUILTIN_THEMES:
        return None
    return f"ce-tutor: unknown theme '{name}'. Themes: {', '.join(sorted(BUILTIN_THEMES))}."


#: What would load OpenSSL's libcrypto into the app: asyncio imports ``ssl`` in case a connection wants
#: TLS, and ``hashlib`` (through ``_hashlib``) prefers OpenSSL's hashes to its own.
OPENSSL_MODULES = ("ssl", "_hashlib")


@contextmanager
def openssl_left_out() -> Iterator[None]:
    """While this lasts, importing ``ssl`` or ``_hashlib`` fails with ImportError, as on a Python built
    without OpenSSL; what is imported meanwhile takes its documented fallback and keeps it (asyncio runs
    without TLS support, hashlib and hmac use Python's own implementations of the same hashes). Later
    imports of them work again. Modules already imported are left as they are.

    The app makes no network connection and hashes a few small files: leaving OpenSSL out keeps 4.5 MiB
    out of its peak memory.
    """
    blocked = [name for name in OPENSSL_MODULES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment] - None makes the import system refuse it
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


#: The values Rich (and so Textual) accepts in ``TEXTUAL_COLOR_SYSTEM``.
COLOR_SYSTEMS = ("auto", "standard", "256", "truecolor", "windows")
#: Signals that end the app as Ctrl+Q does (terminal restored, progress saved), with status 128 + signal.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def check_color_system(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """Drop a ``TEXTUAL_COLOR_SYSTEM`` that Textual cannot use (empty or unknown: Rich raises KeyError on it),
    so that colours are detected as if it were unset; return a warning saying so, or None."""
    value = environ.get("TEXTUAL_COLOR_SYSTEM")
    if value is None or value in COLOR_SYSTEMS:
        return None
    del environ["TEXTUAL_COLOR_SYSTEM"]
    return (f"ce-tutor: TEXTUAL_COLOR_SYSTEM={value!r} is not one of {', '.join(COLOR_SYSTEMS)}; "
            "detecting the terminal's colours instead.")


class _Stopped(Exception):
    """A stop signal arrived before or after the app's event loop ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stop_signals_end(app_holder: list[object], received: list[int]) -> Iterator[None]:
    """While this lasts, SIGTERM and SIGHUP end the app in ``app_holder`` (once it runs) the way Ctrl+Q does:
    Textual restores the terminal (raw mode, alternate screen, mouse tracking) and the progress store is
    closed. The signal is appended to ``received``. Before the app's loop runs, the signal raises
    :class:`_Stopped`; a second signal while the app is ending ends the process at once."""

    def handler(signum: int, frame: object) -> None:
        if received:  # the app did not end after the first: stop now, the default way
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        received.append(signum)
        import asyncio  # imported by then (run() imports it first, without OpenSSL)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        app = app_holder[0] if app_holder else None
        if loop is None or app is None:
            raise _Stopped(signum)
        # Queued behind what the app is doing (as a Ctrl+Q would be), so a step being shown finishes first.
        quit_ = functools.partial(app.call_later, app.exit, None, 128 + signum)  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(quit_)

    previous = {}
    for signum in STOP_SIGNALS:
        try:
            previous[signum] = signal.signal(signum, handler)
        except (ValueError, OSError):  # not the main thread: leave the signals alone
            pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


#: The exit status when the terminal goes away: as for SIGHUP, 128 + 1.
HANGUP_STATUS = 128 + getattr(signal, "SIGHUP", 1)


def terminal_input() -> int | None:
    """The file descriptor of the terminal the app reads keys from, or None (pipes, as under a web server)."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else -1
        return fd if fd >= 0 and os.isatty(fd) else None
    except (OSError, ValueError):
        return None


def terminal_hung_up(fd: int) -> bool:
    """Whether the terminal on ``fd`` (from :func:`terminal_input`, asked before: a terminal that hung up is
    no longer a tty) has hung up, its other end closed, without reading from it."""
    import select

    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        return any(events & (select.POLLHUP | select.POLLNVAL) for _, events in poller.poll(0))
    except OSError:
        return True


def _say(message: str) -> None:
    """Print to stderr, if there is still a stderr to print to (after SIGHUP the terminal may be gone)."""
    try:
        print(safe(message), file=sys.stderr)
    except (OSError, ValueError):
        pass


def run(options: AppOptions) -> int:
    """Run the app to its end; see :func:`ce_tutor.tui.run` for the exit statuses."""
    colour_warning = check_color_system()
    if colour_warning:
        print(colour_warning, file=sys.stderr)
    with openssl_left_out():
        import asyncio  # noqa: F401 - before Textual (even its themes) imports it
        import hashlib  # noqa: F401 - the lesson cache and the quiz seeds hash with it
        import secrets  # noqa: F401 - and hmac with it (the progress store draws the learner's seed)
    problem = unknown_theme(options.theme)
    catalog = None
    if problem is None and options.lesson is not None:  # an unknown lesson is a usage error too
        from ce_tutor.tui.library import read_catalog

        catalog = read_catalog(options)
        if catalog.get(options.lesson) is None:
            problem = f"ce-tutor: {catalog.no_such_lesson(options.lesson)}"
    if problem:
        print(safe(problem), file=sys.stderr)
        return 2
    from ce_tutor.tui.app import TutorApp
    from ce_tutor.tui.workarounds import tolerate_bad_input_bytes

    if "linux_driver" in os.environ.get("TEXTUAL_DRIVER", "linux_driver"):
        # Not for the web driver of a browser tab (ce-tutor serve), which is sent valid UTF-8 only: importing
        # the Linux driver there would load a module the tab never uses.
        tolerate_bad_input_bytes()
    app: TutorApp | None = None
    quiet = io.StringIO()  # what Textual would print on a crash (the app logs the traceback itself)
    error: Exception | None = None
    holder: list[object] = []
    received: list[int] = []
    try:
        with stop_signals_end(holder, received):
            app = TutorApp(options, catalog)
            app.error_console = Console(file=quiet, width=100, color_system=None)
            holder.append(app)
            app.run()
    except _Stopped:
        pass
    except Exception as exc:  # noqa: BLE001 - outside Textual's own handling: still no traceback
        error = exc
    if app is not None and app.exit_note:
        print(f"ce-tutor: {app.exit_note}", file=sys.stderr)
    if received and error is None:
        _say(f"ce-tutor: stopped by {signal.Signals(received[0]).name}. Your progress is saved.")
        return 128 + received[0]
    if app is not None and app.hung_up and error is None:
        _say("ce-tutor: the terminal went away. Your progress is saved.")
        return HANGUP_STATUS
    # Textual ends the app quietly (status 0) when it panics, say on an error in its input thread: what it
    # would have printed makes it a crash.
    if error is None and app is not None and not app.return_code and not quiet.getvalue():
        return 0
    log = app.crash_log if app is not None else None
    if log is None:
        from ce_tutor.crash import write_crash_log

        log = write_crash_log(error, options.data_dir, quiet.getvalue())
    where = f"The details are in {log}." if log else "No log could be written."
    _say(f"ce-tutor stopped after an unexpected error. Your progress is saved. {where}")
    return 1
