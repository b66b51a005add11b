"""Starting the app and ending it well: a bad theme is a usage error, a crash leaves a log, not a traceback."""

from __future__ import annotations

import io
import sys

from rich.console import Console

from ce_tutor.tui import AppOptions


def unknown_theme(name: str | None) -> str | None:
    """The error message for a theme Textual does not have, or None if ``name`` is fine."""
    from textual.theme import BUILTIN_THEMES

    if name is None or name in BUILTIN_THEMES:
        return None
    return f"ce-tutor: unknown theme '{name}'. Themes: {', '.join(sorted(BUILTIN_THEMES))}."


def run(options: AppOptions) -> int:
    """Run the app to its end; see :func:`ce_tutor.tui.run` for the exit statuses."""
    problem = unknown_theme(options.theme)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from ce_tutor.tui.app import TutorApp

    app: TutorApp | None = None
    quiet = io.StringIO()  # what Textual would print on a crash (the app logs the traceback itself)
    error: Exception | None = None
    try:
        app = TutorApp(options)
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
    print(f"ce-tutor stopped after an unexpected error. Your progress is saved. {where}", file=sys.stderr)
    return 1
