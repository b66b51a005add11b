"""Problems found in lesson files, reported as ``path:line: message`` (the form editors jump to)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lesson file. ``line`` is 1-based, or None when no line applies."""

    path: str
    line: int | None
    message: str
    warning: bool = False  #: worth a look, but the lesson works (``ce-tutor check`` still exits 0)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


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
