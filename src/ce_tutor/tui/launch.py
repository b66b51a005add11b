"""Starting the app and ending it well: a bad theme is a usage error, a crash leaves a log, not a traceback."""

from __future__ import annotations

import io
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


def run(options: AppOptions) -> int:
    """Run the app to its end; see :func:`ce_tutor.tui.run` for the exit statuses."""
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

    app: TutorApp | None = None
    quiet = io.StringIO()  # what Textual would print on a crash (the app logs the traceback itself)
    error: Exception | None = None
    try:
        app = TutorApp(options, catalog)
        app.error_console = Console(file=quiet, width=100, color_system=None)
        app.run()
    except Exception as exc:  # noqa: BLE001 - outside Textual's own handling: still no traceback
        error = exc
    if error is None and app is not None and not app.return_code:
        return 0
    log = app.crash_log if app is not None else None
    if log is None:
        from ce_tutor.crash import write_crash_log

        log = write_crash_log(error, options.data_dir, quiet.getvalue())
    where = f"The details are in {log}." if log else "No log could be written."
    print(safe(f"ce-tutor stopped after an unexpected error. Your progress is saved. {where}"), file=sys.stderr)
    return 1
