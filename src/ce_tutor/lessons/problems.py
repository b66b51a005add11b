"""Problems found in lesson files, reported as ``path:line: message`` (the form editors jump to)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ce_tutor.text import safe


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lesson file. ``line`` is 1-based, or None when no line applies."""

    path: str
    line: int | None
    message: str
    warning: bool = False  #: worth a look, but the lesson works (``ce-tutor check`` still exits 0)

    def __str__(self) -> str:
        """``path:line: message`` on one line, safe to print: a file name's or a lesson's control characters
        (newlines and tabs included, so that no quoted value can start a line that looks like a problem of
        its own) are shown as escapes (:func:`ce_tutor.text.safe`)."""
        path = safe(self.path, one_line=True)
        where = path if self.line is None else f"{path}:{self.line}"
        return f"{where}: {'warning: ' if self.warning else ''}{safe(self.message, one_line=True)}"


class LessonLoadError(Exception):
    """A lesson file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


def where(path: Iterable[Any]) -> str:
    """A YAML path as authors read it: ``steps[2].params.a`` for ("steps", 2, "params", "a")."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


class LocatedError(ValueError):
    """An error inside a lesson part: ``reason`` says what, ``at`` where (a YAML path relative to the part)."""

    def __init__(self, reason: str, at: tuple[Any, ...]) -> None:
        super().__init__(f"{where(at)}: {reason}" if at else reason)
        self.reason = reason
        self.at = at
