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
An entry is trusted only as far as it proves itself: it holds its own key (the hash of the file it was
made from), which must be the key it was found under, and what it holds must pass the structural check
of :func:`ce_tutor.lessons.structure.conforms` (the schema's types and bounds, and no control characters
in text). Anything else (an entry copied over another's, an empty lesson, wrong types, a truncated file)
is a miss: the file is validated again and its entry rewritten.

The cache keeps an entry for every lesson of the catalog it last served, plus the :data:`MAX_SPARE` most
recently used others; it is tidied only when something was written, so a start with nothing changed
writes nothing and reads each lesson file and its entry once.

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
import stat
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from ce_tutor.lessons import schema
from ce_tutor.lessons.files import LessonFile, read_bytes
from ce_tutor.lessons.problems import LessonLoadError
from ce_tutor.lessons.schema import Lesson
from ce_tutor.lessons.structure import conforms, conforms_lines

MAX_SPARE = 64  #: entries kept besides those of the current catalog; the least recently used go first
MAX_ENTRY_BYTES = 8 * 1024 * 1024  #: a bigger entry is not read (a lesson file is at most 256 KiB)
_TAG = "ce-tutor lesson cache entry"
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
        self._used: set[str] = set()  # entries this catalog needs (kept by tidy)
        self._written = False  # whether tidy has anything to do

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
        self._written = True

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
        key = _key(data)
        entry = self.directory / (key + _SUFFIX)
        self._used.add(entry.name)
        cached = _read(entry, key)
        if cached is not None:
            self.hits += 1
            lesson, lines, texts = cached
            return LessonFile(path, lesson, lines, texts)
        self.misses += 1
        from ce_tutor.lessons.loader import load_lesson_bytes

        lf = load_lesson_bytes(path, data)
        self._write(entry, (_TAG, key, lf.lesson, dict(lf.lines), dict(lf.texts)))
        return lf

    def cached(self, path: Path) -> LessonFile | None:
        """The lesson in ``path`` if the cache has it (a hit), else None: never validates, never raises."""
        try:
            data = read_bytes(path)
        except LessonLoadError:
            return None
        key = _key(data)
        cached = _read(self.directory / (key + _SUFFIX), key)
        if cached is None:
            return None
        lesson, lines, texts = cached
        return LessonFile(path, lesson, lines, texts)

    def tidy(self) -> None:
        """After a catalog is loaded: if anything was written, remove the entries that are neither used by
        this catalog nor among the :data:`MAX_SPARE` most recently used others (and stray temporary files)."""
        if not self._written:
            return
        self._written = False
        try:
            found = list(os.scandir(self.directory))
        except OSError:
            return
        spare: list[tuple[float, str]] = []
        for item in found:
            if item.name.endswith(".tmp") and _older_than(item, 3600):  # left by a process that was killed
                _remove(item.path)
            elif item.name.endswith(_SUFFIX) and item.name not in self._used:
                spare.append((_mtime(item), item.path))
        spare.sort(reverse=True)
        for _, old in spare[MAX_SPARE:]:
            _remove(old)

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
            self._written = True
        except OSError:  # a read-only or full disk: the lesson is just not cached
            pass
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)



def fill(directory: str, paths: Iterable[str]) -> None:
    """The child's side of :meth:`LessonCache.prepare`: validate ``paths``, caching those that pass (the
    parent, which knows the whole catalog, tidies the cache)."""
    cache = LessonCache(Path(directory))
    for path in paths:
        try:
            cache.load(Path(path))
        except LessonLoadError:  # the parent finds the problems again, and reports them
            pass


def _mtime(item: os.DirEntry[str]) -> float:
    try:
        return item.stat(follow_symlinks=False).st_mtime
    except OSError:
        return 0.0


def _older_than(item: os.DirEntry[str], seconds: float) -> bool:
    return _mtime(item) < time.time() - seconds


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _read(entry: Path, key: str) -> tuple[Lesson, dict, dict] | None:
    """The content of ``entry`` if it is a well-formed entry made for the file whose key is ``key``, else
    None (a miss): no such entry, not a regular file, too big, not our pickle, another file's entry, or
    content that fails the structural check."""
    try:
        with open(entry, "rb", opener=_no_follow_opener) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            data = f.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_ENTRY_BYTES:
        return None
    try:
        content = _LessonUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - a corrupt entry can fail in many ways; it is only a miss
        return None
    if not (type(content) is tuple and len(content) == 5 and content[0] == _TAG and content[1] == key):
        return None  # not an entry of this format, or made for another file's content
    _, _, lesson, lines, texts = content
    if not (conforms(lesson) and conforms_lines(lines, texts)):
        return None
    try:
        os.utime(entry)  # recently used: kept longest by tidy
    except OSError:
        pass
    return lesson, lines, texts


def _no_follow_opener(path: str, flags: int) -> int:
    """Open without following a final symlink, and without blocking on a FIFO."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


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
