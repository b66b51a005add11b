"""A validated lesson file: the lesson, where it came from, and the line of every value in it.

Kept apart from :mod:`ce_tutor.lessons.loader` (YAML and pydantic), so that a lesson taken from the lesson
cache needs neither.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ce_tutor.lessons.problems import LessonLoadError, Problem
from ce_tutor.lessons.schema import Lesson

MAX_BYTES = 256 * 1024  #: the largest lesson file read
_TOO_BIG = f"the file is too big (more than {MAX_BYTES // 1024} KiB)"

YamlPath = tuple[Any, ...]  # keys and list indices from the top of the file, e.g. ("steps", 3, "prompt")


@dataclass(frozen=True, eq=False)
class LessonFile:
    """A validated lesson, where it came from, and the line of every value in the file.

    ``lines`` maps a YAML path such as ``("steps", 3, "prompt")`` to its 1-based line (for a mapping
    entry, the line of its key). Compared by identity, so it can key caches.
    """

    path: Path
    lesson: Lesson
    lines: Mapping[YamlPath, int] = field(repr=False)
    #: for each text value: the line of its first character, and its text if it is a literal block (``|``)
    texts: Mapping[YamlPath, tuple[int, str | None]] = field(default_factory=dict, repr=False)

    def line_of(self, *path: Any) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        return line_of(self.lines, path)

    def line_at(self, path: YamlPath, offset: int) -> int | None:
        """The line of character ``offset`` of the text at ``path`` (exact in ``|`` blocks, else its start)."""
        if path not in self.texts:
            return self.line_of(*path)
        first, literal = self.texts[path]
        return first + literal[:offset].count("\n") if literal is not None else first


def line_of(lines: Mapping[YamlPath, int], path: YamlPath) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is not a readable regular file or is too big.

    Only a regular file is ever read: a character device (a link to ``/dev/zero`` would never end), a FIFO
    or a folder is refused before it is opened, and checked again on the open file (it is opened without
    blocking, so a FIFO put there meanwhile cannot hang). At most :data:`MAX_BYTES` + 1 bytes are read.
    """
    name = str(path)
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind:
            raise fail(name, None, f"not a regular file ({kind})")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with open(fd, "rb") as f:
            kind = _kind(os.fstat(fd).st_mode)
            if kind:
                raise fail(name, None, f"not a regular file ({kind})")
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            message = "no such file" if not os.path.islink(path) else "a symbolic link to a file that does not exist"
        elif exc.errno == errno.ELOOP:
            message = "a symbolic link that loops back on itself"
        else:
            message = f"cannot read the file: {exc.strerror or exc}"
        raise fail(name, None, message) from None
    if len(data) > MAX_BYTES:
        raise fail(name, 1, _TOO_BIG)
    return data


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a file"


def fail(name: str, line: int | None, message: str) -> LessonLoadError:
    """A LessonLoadError with one problem."""
    return LessonLoadError([Problem(name, line, message)])
