"""The Textual app. Importing this package is cheap: the app itself is imported when :func:`run` is called."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AppOptions", "run"]


@dataclass
class AppOptions:
    """What the command line asks of the app."""

    lesson_dirs: list[Path]
    data_dir: Path | None = None
    seed: int | None = None  # replaces the learner's own quiz seed for the whole session
    theme: str | None = None
    ascii: bool = False
    lesson: str | None = None
    review: bool = False  # start with the review of the due cards (ce-tutor review)
    class_dir: Path | None = None  # a class session (ce-tutor serve): ask who the learner is first
    roster: Path | None = None  # in a class session, learners sign in with a join code from this file


def run(options: AppOptions) -> int:
    """Run the app. Exit status: 0 done (also after ctrl+c), 1 crashed (a log says why), 2 unknown theme or
    lesson, 130 interrupted while starting."""
    try:
        from ce_tutor.tui.launch import run as run_app

        return run_app(options)
    except KeyboardInterrupt:
        print("\nce-tutor: interrupted.", file=sys.stderr)
        return 130
