"""One browser tab of ``ce-tutor serve``: the app, asking who the learner is first.

The server starts each tab as ``python -m ce_tutor.serve.tab CLASS_DIR [--roster FILE] [--lessons DIR]...``
(:func:`ce_tutor.serve.server.tab_command` writes that line). It goes straight to the app, without the
command line's parser and its commands (``ce_tutor.cli`` and argparse: 0.3 MiB that a tab never uses).
``ce-tutor --class-session DIR`` runs the same in a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = "usage: python -m ce_tutor.serve.tab CLASS_DIR [--roster FILE] [--lessons DIR]... (started by ce-tutor serve)"


def run_tab(class_dir: Path, roster: Path | None = None, lessons: Sequence[Path] = (), theme: str | None = None,
            ascii: bool = False) -> int:
    """Run the app for one learner of the class in ``class_dir``; the app's exit status."""
    from ce_tutor.lessons.catalog import lesson_dirs
    from ce_tutor.tui import AppOptions, run

    return run(AppOptions(lesson_dirs=lesson_dirs(extra=list(lessons)), theme=theme, ascii=ascii,
                          class_dir=class_dir.resolve(), roster=roster.resolve() if roster else None))


def parse(argv: Sequence[str]) -> tuple[Path, Path | None, list[Path]] | None:
    """The class folder, roster and extra lesson folders of the tab's command line; None if it is not one."""
    if not argv or not argv[0] or argv[0].startswith("-"):
        return None
    class_dir, roster, lessons = Path(argv[0]), None, []
    rest = list(argv[1:])
    while rest:
        if len(rest) < 2 or rest[0] not in ("--roster", "--lessons") or not rest[1]:
            return None
        option, value = rest.pop(0), Path(rest.pop(0))
        if option == "--roster":
            roster = value
        else:
            lessons.append(value)
    return class_dir, roster, lessons


def main(argv: Sequence[str] | None = None) -> int:
    from ce_tutor.text import safe

    parsed = parse(list(sys.argv[1:] if argv is None else argv))
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    web = bool(os.environ.get("TEXTUAL_DRIVER"))
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("ce-tutor: a class session runs in 'ce-tutor serve' (or a terminal), not in plain mode",
              file=sys.stderr)
        return 2
    from ce_tutor import clock

    if problem := clock.check():  # CE_TUTOR_NOW replaces the clock, as for every command
        print(safe(f"ce-tutor: {problem}"), file=sys.stderr)
        return 2
    try:
        return run_tab(*parsed)
    except Exception as exc:  # noqa: BLE001 - the last resort: a log file, never a traceback
        from ce_tutor.crash import crash_message

        print(safe(crash_message(exc, None)), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
