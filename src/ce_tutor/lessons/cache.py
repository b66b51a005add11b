"""The lesson cache: lessons that passed validation, kept so that later starts need neither YAML nor pydantic.

Validating a lesson file takes YAML and pydantic, which together add about 12 MiB to a process that
otherwise has no use for them. So once a file has passed, its :class:`~ce_tutor.lessons.files.LessonFile`
content (the lesson and the line of every value) is pickled into the cache, under a key made of the
file's bytes and a fingerprint of the code that reads lesson files. The next start finds it there by
reading the file and hashing it; an edited file, or another version of ce-tutor, simply misses.

A process that must stay small (the app) can have the files the cache lacks validated in a short-lived
child process instead (``LessonCache(directory, validate_in_child=True)`` and :meth:`LessonCache.prepare`):
the child caches them, and the app reads them back as on any later start.

The cache is only ever a copy: a missing, unreadable, corrupt or read-only cache costs time, never a
wrong lesson and never an error. Files with problems are not cached (their problems are found again).

Unpickling runs no code beyond building the lesson classes of :mod:`ce_tutor.lessons.schema` and
plain containers: :class:`_LessonUnpickler` refuses every other global, as the :mod:`pickle` docs
advise ("Restricting Globals").
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ce_tutor.lessons import schema
from ce_tutor.lessons.files import LessonFile, read_bytes
from ce_tutor.lessons.problems import LessonLoadError
from ce_tutor.lessons.schema import Lesson

MAX_ENTRIES = 64  #: cached lessons kept; the least recently used go first
CHILD_TIMEOUT = 60.0  #: seconds the validating child may take before it is stopped (then this process validates)
#: What the child runs: ``python -P -c CHILD_CODE directory file...``.
CHILD_CODE = "import sys; from ce_tutor.lessons.cache import fill; fill(sys.argv[1], sys.argv[2:])"
_SUFFIX = ".pickle"
_PROTOCOL = 5
#: The classes a cached lesson is made of: the dataclasses of the schema, and nothing else.
_ALLOWED = frozenset(
    name for name, value in vars(schema).items() if isinstance(value, type) and dataclasses.is_dataclass(value)
)


class LessonCache:
    """Validated lessons in ``directory``, keyed by the content of their files."""

    def __init__(self, directory: Path, *, validate_in_child: bool = False) -> None:
        self.directory = directory
        self.validate_in_child = validate_in_child
        self.hits = 0
        self.misses = 0

    def prepare(self, paths: Iterable[Path]) -> None:
        """Before ``paths`` are loaded: with ``validate_in_child``, have those the cache lacks validated (and
        cached) by a child process, so that :meth:`load` finds them and this process never imports YAML or
        pydantic. Without it, or in a frozen app, this does nothing.

        What the child does not cache (a file with problems, a read-only cache, a child that fails or takes
        longer than :data:`CHILD_TIMEOUT`) is validated by :meth:`load` as before: what is loaded, and every
        message about a broken file, is the same either way.
        """
        if not self.validate_in_child or getattr(sys, "frozen", False) or not sys.executable:
            return
        missing = [str(path) for path in paths if not self._cached(path)]
        if not missing:
            return
        import subprocess

        try:
            subprocess.run(
                # -P: the current folder is not put on the child's path, so no ce_tutor there can stand in
                [sys.executable, "-P", "-c", CHILD_CODE, str(self.directory), *missing],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=CHILD_TIMEOUT, check=False,
            )
        except (OSError, subprocess.SubprocessError):  # no child, or too slow: load() validates here
            pass

    def _cached(self, path: Path) -> bool:
        """Whether ``path``'s content has an entry (a file that cannot be read counts as cached: load() says
        what is wrong with it)."""
        try:
            data = read_bytes(path)
        except LessonLoadError:
            return True
        return (self.directory / (_key(data) + _SUFFIX)).exists()

    def load(self, path: Path) -> LessonFile:
        """The lesson in ``path``: from the cache if its content was validated before, else validated now
        (:func:`ce_tutor.lessons.loader.load_lesson_bytes`, which imports YAML and pydantic) and cached.

        Raises LessonLoadError, as the loader does, when the file cannot be read or is not a valid lesson.
        """
        data = read_bytes(path)
        entry = self.directory / (_key(data) + _SUFFIX)
        cached = _read(entry)
        if cached is not None:
            self.hits += 1
            lesson, lines, texts = cached
            return LessonFile(path, lesson, lines, texts)
        self.misses += 1
        from ce_tutor.lessons.loader import load_lesson_bytes

        lf = load_lesson_bytes(path, data)
        self._write(entry, (lf.lesson, dict(lf.lines), dict(lf.texts)))
        return lf

    def _write(self, entry: Path, content: object) -> None:
        """Store ``content`` in ``entry`` atomically (a reader sees the old entry or the whole new one)."""
        temporary: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.directory, suffix=".tmp", delete=False) as f:
                temporary = f.name
                pickle.dump(content, f, protocol=_PROTOCOL)
            os.replace(temporary, entry)
            temporary = None
            self._prune()
        except OSError:  # a read-only or full disk: the lesson is just not cached
            pass
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _prune(self) -> None:
        entries = sorted(self.directory.glob("*" + _SUFFIX), key=_mtime, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)


def fill(directory: str, paths: Iterable[str]) -> None:
    """The child's side of :meth:`LessonCache.prepare`: validate ``paths``, caching those that pass."""
    cache = LessonCache(Path(directory))
    for path in paths:
        try:
            cache.load(Path(path))
        except LessonLoadError:  # the parent finds the problems again, and reports them
            pass


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _read(entry: Path) -> tuple[Lesson, dict, dict] | None:
    """The cached content in ``entry``, or None if there is none or it is not a well-formed entry."""
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        content = _LessonUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - a corrupt entry can fail in many ways; it is only a miss
        return None
    if not (
        isinstance(content, tuple) and len(content) == 3 and isinstance(content[0], Lesson)
        and isinstance(content[1], dict) and isinstance(content[2], dict)
    ):
        return None
    try:
        os.utime(entry)  # recently used: kept longest by _prune
    except OSError:
        pass
    return content


class _LessonUnpickler(pickle.Unpickler):
    """Builds only the lesson classes of :mod:`ce_tutor.lessons.schema` (and pickle's plain containers)."""

    def find_class(self, module: str, name: str) -> object:
        if module == schema.__name__ and name in _ALLOWED:
            return getattr(schema, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the lesson cache")


def _key(data: bytes) -> str:
    return hashlib.sha256(_fingerprint() + data).hexdigest()


@functools.cache
def _fingerprint() -> bytes:
    """What a cached lesson depends on besides its file: ce-tutor's version and the code that reads lessons."""
    from ce_tutor import __version__
    from ce_tutor.lessons import files

    digest = hashlib.sha256(f"{__version__} {sys.version_info[:2]} {_PROTOCOL}".encode())
    loader = Path(files.__file__).with_name("loader.py")  # not imported: it is what the cache spares
    for source in (schema.__file__, files.__file__, loader):
        try:
            digest.update(Path(source).read_bytes())
        except (OSError, TypeError):  # no source to read (a frozen app): the version has to do
            pass
    return digest.digest()
