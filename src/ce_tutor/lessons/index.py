"""The catalog index: what the lesson list shows, kept beside the lesson cache, so that a start with nothing
changed can show the list without reading a single lesson.

Reading the catalog from the lesson cache still reads and hashes every lesson file, unpickles and checks
every entry, and imports the schema to do it: 30 to 50 ms for the shipped lessons, seconds for thousands.
The lesson list needs far less: each lesson's id, title, summary, number of steps and prerequisites, in
curriculum order, and the problems of the files that did not load. After a catalog is loaded, that summary
is written to an index file (JSON) in the cache folder, one per set of lesson folders, with the *signature*
of the files it was made from: the folders' listings and each file's size, modification and change times
and inode (what ``make`` and ``git`` use to tell a changed file), and a fingerprint of the code that reads
lessons. At the next start :func:`read_index` recomputes the signature (a listing and a ``stat`` per file,
no file read) and returns the summary only if it matches; the full lessons are loaded in the background.

Like a cache entry, the index is only ever a copy: a missing, unreadable, malformed, forged or stale index
is a miss (the catalog is loaded as before), never a wrong list and never an error. What it holds is
checked for type, bounds and control characters before it is used (the bounds are the schema's; a test
checks that they agree).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ce_tutor.lessons.catalog import lesson_files, no_such_lesson, resolved
from ce_tutor.lessons.problems import Problem
from ce_tutor.text import is_safe

if TYPE_CHECKING:
    from ce_tutor.lessons.catalog import Catalog

FORMAT = "ce-tutor catalog index"
VERSION = 2
#: The schema's bounds (``ce_tutor.lessons.schema.Lesson``), checked on what an index holds.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
MAX_TITLE, MAX_SUMMARY, MAX_STEPS = 60, 300, 100
MAX_INDEX_BYTES = 64 * 1024 * 1024  #: a bigger index is not read (10,000 lessons take about 6 MB)
MAX_PROBLEM_TEXT = 65536  #: a problem's path or message longer than this is not from us
KEEP = 8  #: index files kept (one per set of lesson folders): the most recently written


@dataclass(frozen=True)
class LessonSummary:
    """What the lesson list shows of one lesson."""

    id: str
    title: str
    summary: str
    steps: int
    requires: tuple[str, ...]
    path: str  #: the lesson file (one of those the signature was made from)


@dataclass(frozen=True)
class CatalogIndex:
    """The lessons in curriculum order, and the problems of the files that did not load."""

    lessons: tuple[LessonSummary, ...]
    problems: tuple[Problem, ...]

    def get(self, lesson_id: str) -> LessonSummary | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def ids(self) -> list[str]:
        return [lesson.id for lesson in self.lessons]

    def no_such_lesson(self, lesson_id: str) -> str:
        return no_such_lesson(lesson_id, self.ids())


def load_indexed(directory: Path, paths: Sequence[Path], *, validate_in_child: bool = False,
                 shown: CatalogIndex | None = None) -> Catalog:
    """The catalog in ``paths``, through the lesson cache in ``directory``; its index is written for the
    next start, unless it is ``shown`` (the index this start read)."""
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import load_catalog

    made_from = signature(paths)  # before loading: a file changed meanwhile leaves a stale index, not a wrong one
    catalog = load_catalog(paths, LessonCache(directory, validate_in_child=validate_in_child))
    index = summarize(catalog)
    if index != shown:
        write_index(directory, paths, index, made_from)
    return catalog


def lesson_index(directory: Path, paths: Sequence[Path]) -> CatalogIndex:
    """The index of the catalog in ``paths``: read if up to date, else made by loading the catalog."""
    index = read_index(directory, paths)
    return index if index is not None else summarize(load_indexed(directory, paths))


def summarize(catalog: Catalog) -> CatalogIndex:
    """The index of a loaded catalog."""
    lessons = tuple(
        LessonSummary(lf.lesson.id, lf.lesson.title, lf.lesson.summary, len(lf.lesson.steps),
                      tuple(lf.lesson.requires), str(lf.path))
        for lf in catalog.lessons
    )
    return CatalogIndex(lessons, tuple(catalog.problems))


def signature(paths: Sequence[Path]) -> str:
    """A digest of what the catalog in ``paths`` is made from: the lesson files found (as
    :func:`ce_tutor.lessons.catalog.lesson_files` finds them), each file's ``stat`` (size, times, inode,
    device), and the code that reads lessons. Any change to a lesson file changes it."""
    return _signature(paths)[0]


def _signature(paths: Sequence[Path]) -> tuple[str, set[str]]:
    """:func:`signature`, and the lesson files it was made from."""
    files, problems = lesson_files(paths)
    digest = hashlib.sha256(_fingerprint())
    for problem in problems:
        digest.update(f"problem\0{problem.path}\0{problem.message}\n".encode("utf-8", "surrogateescape"))
    for file in files:
        try:
            st = os.stat(file)
            seen = f"{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"
        except OSError as exc:
            seen = f"error {exc.errno}"
        digest.update(f"file\0{file}\0{seen}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), {str(file) for file in files}


def index_path(directory: Path, paths: Sequence[Path]) -> Path:
    """The index file of the catalog in ``paths`` (one per set of lesson folders)."""
    where = "\0".join(str(resolved(p)) for p in paths).encode("utf-8", "surrogateescape")
    return directory / f"index-{hashlib.sha256(where).hexdigest()[:24]}.json"


def read_index(directory: Path, paths: Sequence[Path]) -> CatalogIndex | None:
    """The index of the catalog in ``paths`` if one was written for exactly these files, else None."""
    data = _read_small(index_path(directory, paths))
    if data is None:
        return None
    try:
        content = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not (isinstance(content, dict) and content.get("format") == FORMAT and content.get("version") == VERSION):
        return None
    made_from, files = _signature(paths)
    if content.get("signature") != made_from:
        return None
    return _parse(content, files)


def write_index(directory: Path, paths: Sequence[Path], index: CatalogIndex, made_from: str) -> None:
    """Store ``index``, made from the files whose :func:`signature` was ``made_from`` (taken *before* they
    were loaded, so that a file changed meanwhile makes the index stale, not wrong). Atomic; a read-only
    or full disk just leaves no index."""
    content = {
        "format": FORMAT, "version": VERSION, "signature": made_from,
        "lessons": [[s.id, s.title, s.summary, s.steps, list(s.requires), s.path] for s in index.lessons],
        "problems": [[p.path, p.line, p.message, p.warning] for p in index.problems],
    }
    target = index_path(directory, paths)
    temporary: str | None = None
    try:
        text = json.dumps(content, separators=(",", ":"))  # ASCII: a file name's stray surrogates survive
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, suffix=".tmp", delete=False) as f:
            temporary = f.name
            f.write(text)
        os.replace(temporary, target)
        temporary = None
        _tidy(directory, target)
    except (OSError, ValueError):
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _tidy(directory: Path, keep: Path) -> None:
    """Keep the :data:`KEEP` most recently written index files."""
    found: list[tuple[float, str]] = []
    for item in os.scandir(directory):
        if item.name.startswith("index-") and item.name.endswith(".json") and item.path != str(keep):
            try:
                found.append((item.stat(follow_symlinks=False).st_mtime, item.path))
            except OSError:
                pass
    for _, old in sorted(found, reverse=True)[KEEP - 1:]:
        try:
            os.unlink(old)
        except OSError:
            pass


def _read_small(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not followed through a link) of a sane size."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            data = f.read(MAX_INDEX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_INDEX_BYTES else None


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and is_safe(value)


def _lesson_id(value: Any) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def _parse(content: dict[str, Any], files: set[str]) -> CatalogIndex | None:
    """The index in ``content`` if every part of it has the type and bounds a catalog can produce, and
    every lesson is one of ``files``."""
    lessons, problems = content.get("lessons"), content.get("problems")
    if not (isinstance(lessons, list) and isinstance(problems, list)):
        return None
    summaries: list[LessonSummary] = []
    for item in lessons:
        if not (isinstance(item, list) and len(item) == 6):
            return None
        lesson_id, title, summary, steps, requires, path = item
        if not (_lesson_id(lesson_id) and _text(title, MAX_TITLE) and _text(summary, MAX_SUMMARY)
                and type(steps) is int and 1 <= steps <= MAX_STEPS
                and isinstance(requires, list) and all(map(_lesson_id, requires)) and path in files):
            return None
        summaries.append(LessonSummary(lesson_id, title, summary, steps, tuple(requires), path))
    if len({s.id for s in summaries}) != len(summaries):
        return None
    found: list[Problem] = []
    for item in problems:
        if not (isinstance(item, list) and len(item) == 4):
            return None
        path, line, message, warning = item
        # (shown only through Problem.__str__, which makes a file name's or a message's text safe)
        if not (isinstance(path, str) and len(path) <= MAX_PROBLEM_TEXT
                and isinstance(message, str) and len(message) <= MAX_PROBLEM_TEXT
                and (line is None or (type(line) is int and line >= 1)) and type(warning) is bool):
            return None
        found.append(Problem(path, line, message, warning))
    return CatalogIndex(tuple(summaries), tuple(found))


@functools.cache
def _fingerprint() -> bytes:
    """What the index depends on besides the lesson files: ce-tutor's version and the code that reads,
    checks and orders lessons (its source, read but not imported)."""
    from ce_tutor import __version__

    digest = hashlib.sha256(f"{FORMAT} {VERSION} {__version__} {sys.version_info[:2]}".encode())
    here = Path(__file__).parent
    for name in ("index.py", "catalog.py", "schema.py", "files.py", "loader.py", "structure.py", "cache.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # no source to read (a frozen app): the version has to do
            pass
    return digest.digest()
