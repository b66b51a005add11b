"""The learner's progress, kept in SQLite so that it is never lost.

One file, ``progress.sqlite3``, lives in the data directory (see :func:`default_data_dir`). It holds,
per lesson, where to resume and how far the learner got; every quiz attempt; and a per-learner random
seed for quiz variants.

Durability: the database runs in WAL mode and every write method is one short ``BEGIN IMMEDIATE`` ...
``COMMIT`` transaction, so a ``kill -9`` at any moment loses at most the write in flight, and several
processes can share the file (a writer waits up to :data:`BUSY_TIMEOUT_S` for another).

Recovery: a file that is not a readable SQLite database is renamed to
``progress.sqlite3.corrupt-<UTC timestamp>`` (never deleted) and a fresh one is started; if nothing can
be written where the file should go, the store runs in memory. Both are reported in
:attr:`ProgressStore.warnings`. A file written by a newer schema is refused untouched with
:class:`ProgressError`, as is a file that stays locked by another process.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs

APP_NAME = "ce-tutor"
HOME_ENV = "CE_TUTOR_HOME"
FILE_NAME = "progress.sqlite3"
EXPORT_FORMAT = "ce-tutor-progress"
EXPORT_VERSION = 1
BUSY_TIMEOUT_S = 5.0
CORRECT = "correct"
HINT = "hint"  # the verdict of a row that records a hint the learner asked for

#: Schema migrations; entry ``i`` takes ``PRAGMA user_version`` from ``i`` to ``i + 1``. Append only.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL)",
        """CREATE TABLE lessons (
            lesson_id TEXT PRIMARY KEY,
            current_step INTEGER NOT NULL,
            furthest_step INTEGER NOT NULL,
            n_steps INTEGER NOT NULL,
            complete INTEGER NOT NULL,
            last_visited TEXT NOT NULL,
            visit_seq INTEGER NOT NULL
        )""",
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            quiz_id TEXT NOT NULL,
            seed INTEGER NOT NULL,
            answer TEXT NOT NULL,
            verdict TEXT NOT NULL
        )""",
        "CREATE INDEX attempts_by_quiz ON attempts (lesson_id, quiz_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_ACCESS_CODES = frozenset(
    {
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_AUTH,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
    }
)
_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_SEED_RANGE = range(-(2**63), 2**63)  # what fits in an SQLite INTEGER


class ProgressError(Exception):
    """A progress-file problem the user must act on; ``str(error)`` is the message to show."""


class _Corrupt(Exception):
    """The file at the progress path is not a usable SQLite database."""


class _Unwritable(Exception):
    """Progress cannot be kept on disk at the requested place."""


@dataclass(frozen=True)
class LessonProgress:
    """Where a learner is in one lesson; ``last_visited`` is ``None`` if never visited."""

    lesson_id: str
    current_step: int
    furthest_step: int
    n_steps: int
    complete: bool
    last_visited: datetime | None

    @property
    def percent(self) -> int:
        """0..100: 100 when complete, else steps reached (``furthest_step + 1``) over ``n_steps``, floored."""
        if self.complete:
            return 100
        if self.last_visited is None or self.n_steps <= 0:
            return 0
        return min(100, (self.furthest_step + 1) * 100 // self.n_steps)


@dataclass(frozen=True)
class Attempt:
    """One answer to one quiz variant, with the verdict it got (stored as given)."""

    time: datetime
    lesson_id: str
    quiz_id: str
    seed: int
    answer: str
    verdict: str


@dataclass(frozen=True)
class QuizStats:
    """How often a quiz was attempted and how many attempts were ``"correct"``."""

    lesson_id: str
    quiz_id: str
    attempts: int
    correct: int


def default_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``explicit`` if given, else ``$CE_TUTOR_HOME`` if set, else the platform's."""
    if explicit is not None:
        return Path(explicit).expanduser()
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where validated lessons are cached (:mod:`ce_tutor.lessons.cache`): inside the data directory when one
    was chosen (``explicit``, or ``$CE_TUTOR_HOME``), so that everything ce-tutor writes stays in that folder;
    otherwise the platform's cache directory."""
    if explicit is not None or os.environ.get(HOME_ENV):
        return default_data_dir(explicit) / "cache" / "lessons"
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "lessons"


class ProgressStore:
    """The progress database. Use from one thread; every write is committed before the method returns."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        """Open (creating, migrating or recovering as needed) the store in ``data_dir``.

        Raises :class:`ProgressError` only if the file is from a newer ce-tutor, stays locked by another
        process, or cannot be migrated; every other problem becomes a warning in :attr:`warnings`.
        """
        self.warnings: list[str] = []
        self.path: Path | None = None
        directory = default_data_dir(data_dir)
        try:
            self._conn, self.learner_seed = self._open_in(directory)
            self.path = directory / FILE_NAME
        except _Unwritable as exc:
            self.warnings.append(f"progress will not be saved this session: {exc}")
            self._conn, self.learner_seed = _connect(":memory:")

    # -- lessons ---------------------------------------------------------------------------------

    def visit_step(self, lesson_id: str, step: int, n_steps: int) -> None:
        """Record that the learner is on ``step`` (0-based) of a lesson with ``n_steps`` steps."""
        _check_id("lesson_id", lesson_id)
        _check_steps(step, n_steps)
        with self._write() as conn:
            conn.execute(
                """INSERT INTO lessons
                       (lesson_id, current_step, furthest_step, n_steps, complete, last_visited, visit_seq)
                   VALUES (:lesson, :step, :step, :n, 0, :now,
                           (SELECT COALESCE(MAX(visit_seq), 0) + 1 FROM lessons))
                   ON CONFLICT (lesson_id) DO UPDATE SET
                       current_step = excluded.current_step,
                       furthest_step = MIN(MAX(furthest_step, excluded.furthest_step), excluded.n_steps - 1),
                       n_steps = excluded.n_steps,
                       last_visited = excluded.last_visited,
                       visit_seq = excluded.visit_seq""",
                {"lesson": lesson_id, "step": step, "n": n_steps, "now": _iso(_now())},
            )

    def complete_lesson(self, lesson_id: str, n_steps: int) -> None:
        """Mark a lesson complete (for good: later visits keep it complete); the resume step is kept."""
        _check_id("lesson_id", lesson_id)
        _check_steps(0, n_steps)
        with self._write() as conn:
            conn.execute(
                """INSERT INTO lessons
                       (lesson_id, current_step, furthest_step, n_steps, complete, last_visited, visit_seq)
                   VALUES (:lesson, 0, :n - 1, :n, 1, :now,
                           (SELECT COALESCE(MAX(visit_seq), 0) + 1 FROM lessons))
                   ON CONFLICT (lesson_id) DO UPDATE SET
                       current_step = MIN(current_step, excluded.n_steps - 1),
                       furthest_step = excluded.furthest_step,
                       n_steps = excluded.n_steps,
                       complete = 1,
                       last_visited = excluded.last_visited,
                       visit_seq = excluded.visit_seq""",
                {"lesson": lesson_id, "n": n_steps, "now": _iso(_now())},
            )

    def lesson(self, lesson_id: str) -> LessonProgress:
        """Progress in one lesson; a never-visited lesson gives zeros and ``last_visited=None``."""
        rows = self._read("SELECT * FROM lessons WHERE lesson_id = ?", (lesson_id,))
        if not rows:
            return LessonProgress(lesson_id, 0, 0, 0, False, None)
        return _lesson(rows[0])

    def lessons(self) -> dict[str, LessonProgress]:
        """Every visited lesson, by id (sorted)."""
        rows = self._read("SELECT * FROM lessons ORDER BY lesson_id", ())
        return {row["lesson_id"]: _lesson(row) for row in rows}

    def last_lesson(self) -> LessonProgress | None:
        """The most recently visited incomplete lesson (to offer "resume?"), or ``None``."""
        rows = self._read("SELECT * FROM lessons WHERE complete = 0 ORDER BY visit_seq DESC LIMIT 1", ())
        return _lesson(rows[0]) if rows else None

    # -- quizzes ---------------------------------------------------------------------------------

    def record_attempt(self, lesson_id: str, quiz_id: str, seed: int, answer: str, verdict: str) -> None:
        """Append one quiz attempt; ``seed`` must fit in a signed 64-bit integer."""
        _check_id("lesson_id", lesson_id)
        _check_id("quiz_id", quiz_id)
        if not _is_int(seed) or seed not in _SEED_RANGE:
            raise ValueError(f"seed must be an int in [-2**63, 2**63), not {seed!r}")
        for name, text in (("answer", answer), ("verdict", verdict)):
            if not isinstance(text, str):
                raise ValueError(f"{name} must be a string, not {text!r}")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO attempts (time, lesson_id, quiz_id, seed, answer, verdict)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (_iso(_now()), lesson_id, quiz_id, seed, answer, verdict),
            )

    def attempts(self, lesson_id: str | None = None, quiz_id: str | None = None) -> list[Attempt]:
        """Attempts in the order they were made, optionally only those of one lesson and/or quiz."""
        rows = self._read(
            """SELECT * FROM attempts
               WHERE (:lesson IS NULL OR lesson_id = :lesson) AND (:quiz IS NULL OR quiz_id = :quiz)
               ORDER BY id""",
            {"lesson": lesson_id, "quiz": quiz_id},
        )
        return [_attempt(row) for row in rows]

    def quiz_stats(self, lesson_id: str | None = None) -> list[QuizStats]:
        """Attempt and ``"correct"`` counts per quiz, sorted by lesson then quiz (asked-for hints, recorded
        with the verdict ``"hint"``, are not attempts)."""
        rows = self._read(
            """SELECT lesson_id, quiz_id, COUNT(*) AS attempts, SUM(verdict = :correct) AS correct
               FROM attempts WHERE (:lesson IS NULL OR lesson_id = :lesson) AND verdict != :hint
               GROUP BY lesson_id, quiz_id ORDER BY lesson_id, quiz_id""",
            {"lesson": lesson_id, "correct": CORRECT, "hint": HINT},
        )
        return [QuizStats(r["lesson_id"], r["quiz_id"], r["attempts"], r["correct"]) for r in rows]

    # -- whole store -----------------------------------------------------------------------------

    def reset(self, lesson_id: str | None = None) -> int:
        """Forget the progress and attempts of one lesson, or of all; the learner seed stays. Rows deleted."""
        params = {"lesson": lesson_id}
        with self._write() as conn:
            lessons = conn.execute("DELETE FROM lessons WHERE :lesson IS NULL OR lesson_id = :lesson", params)
            attempts = conn.execute(
                "DELETE FROM attempts WHERE :lesson IS NULL OR lesson_id = :lesson", params
            )
            return lessons.rowcount + attempts.rowcount

    def export(self) -> dict[str, Any]:
        """Everything, as JSON-ready data with a fixed key order and ISO-8601 UTC times."""
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": _iso(_now()),
            "learner_seed": self.learner_seed,
            "lessons": [
                {
                    "lesson_id": p.lesson_id,
                    "current_step": p.current_step,
                    "furthest_step": p.furthest_step,
                    "n_steps": p.n_steps,
                    "complete": p.complete,
                    "last_visited": _iso(p.last_visited) if p.last_visited else None,
                }
                for p in self.lessons().values()
            ],
            "attempts": [
                {
                    "time": _iso(a.time),
                    "lesson_id": a.lesson_id,
                    "quiz_id": a.quiz_id,
                    "seed": a.seed,
                    "answer": a.answer,
                    "verdict": a.verdict,
                }
                for a in self.attempts()
            ],
        }

    def close(self) -> None:
        """Close the database (idempotent); the store cannot be used afterwards."""
        self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------

    def _open_in(self, directory: Path) -> tuple[sqlite3.Connection, int]:
        """Open the file in ``directory``, moving a damaged one aside; :class:`_Unwritable` if impossible."""
        path = directory / FILE_NAME
        try:
            directory.mkdir(parents=True, exist_ok=True)
            misplaced = path.exists() and not path.is_file()
        except OSError as exc:
            reason = exc.strerror or exc
            raise _Unwritable(f"cannot use {directory} as the data directory ({reason})") from exc
        if misplaced:
            self._move_aside(path, "it is not a regular file")
        try:
            _check_file(path)
            return _connect(path)
        except _Corrupt as exc:
            self._move_aside(path, str(exc))
        try:
            return _connect(path)
        except _Corrupt as exc:
            raise _Unwritable(f"cannot start a fresh {path} ({exc})") from exc

    def _move_aside(self, path: Path, reason: str) -> None:
        """Rename ``path`` and its -wal/-shm files to ``<name>.corrupt-<UTC time>``; warn what went where."""
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        dest = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while any(os.path.lexists(f"{dest}{suffix}") for suffix in ("", "-wal", "-shm")):
            n += 1
            dest = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        moved = []
        try:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{path}{suffix}")
                if suffix == "" or os.path.lexists(source):
                    source.rename(f"{dest}{suffix}")
                    moved.append(f"{dest}{suffix}")
        except OSError as exc:
            raise _Unwritable(
                f"{path} is unreadable ({reason}) and could not be moved aside ({exc.strerror or exc})"
            ) from exc
        self.warnings.append(
            f"progress file {path} was unreadable ({reason}); "
            f"moved it to {', '.join(moved)} and started a fresh one"
        )

    def _where(self) -> str:
        return str(self.path) if self.path else "(in memory)"

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn database failures (not programming errors) into :class:`ProgressError`."""
        try:
            yield
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            if _code(exc) in _BUSY_CODES:
                raise _busy(self._where()) from exc
            raise ProgressError(f"could not use progress file {self._where()}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._errors(), _transaction(self._conn):
            yield self._conn

    def _read(self, sql: str, params: tuple[object, ...] | dict[str, object]) -> list[sqlite3.Row]:
        with self._errors():
            return self._conn.execute(sql, params).fetchall()


def _check_file(path: Path) -> None:
    """Refuse a newer schema and detect damage, reading ``path`` without changing it or its WAL.

    The check uses a read-only connection because closing a read-write one checkpoints the WAL into
    the file and deletes the WAL, which would alter a damaged or newer file before it is moved aside.
    """
    try:
        size = path.stat().st_size
        wal = Path(f"{path}-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _Unwritable(f"cannot read {path} ({exc.strerror or exc})") from exc
    if size == 0:
        if wal_size:  # SQLite would delete this WAL as stale: keep it instead
            raise _Corrupt("the database file is empty but its write-ahead log is not")
        return  # SQLite treats an empty file as a new database
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
        )
        _refuse_newer(conn, path)
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise _Corrupt("; ".join(problems[:3]))
    except sqlite3.Error as exc:
        if _code(exc) == sqlite3.SQLITE_READONLY:
            return  # a hot rollback journal from a crash: only the read-write open can roll it back
        raise _classify(exc, path, reading=True) from exc
    finally:
        if conn is not None:
            conn.close()


def _connect(target: Path | str) -> tuple[sqlite3.Connection, int]:
    """Open read-write, switch to WAL, migrate and seed; return the connection and the learner seed."""
    conn: sqlite3.Connection | None = None
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout sets SQLite's busy_timeout.
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        _refuse_newer(conn, target)
        _migrate(conn)
        return conn, _learner_seed(conn)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, sqlite3.Error):
            raise _classify(exc, target, reading=False) from exc
        raise


def _refuse_newer(conn: sqlite3.Connection, target: Path | str) -> None:
    """Raise :class:`ProgressError` if the schema is newer than this code knows."""
    version = _user_version(conn)
    if version > SCHEMA_VERSION:
        raise ProgressError(
            f"progress file {target} was written by a newer ce-tutor (schema {version}, this one "
            f"knows up to {SCHEMA_VERSION}); upgrade ce-tutor or use --data-dir to keep progress elsewhere"
        )


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying for up to :data:`BUSY_TIMEOUT_S` while another process holds the lock.

    When two processes create the file at once, both hold a shared lock and want an exclusive one; SQLite
    then fails one of them at once instead of calling the busy handler, so waiting is up to us.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if _code(exc) not in _BUSY_CODES or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _classify(exc: sqlite3.Error, target: Path | str, *, reading: bool) -> Exception:
    """The exception to raise for an SQLite error while opening; unknown read failures mean corruption."""
    code = _code(exc)
    if code in _BUSY_CODES:
        return _busy(target)
    if code in _ACCESS_CODES:
        return _Unwritable(f"cannot use {target} ({exc})")
    if code in _CORRUPT_CODES or reading:
        return _Corrupt(str(exc))
    return ProgressError(f"could not prepare progress file {target}: {exc}")


def _busy(where: Path | str) -> ProgressError:
    return ProgressError(
        f"progress file {where} is locked by another program (waited {BUSY_TIMEOUT_S:g} s); "
        "close other ce-tutor windows and try again"
    )


def _code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error, if known."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taking the write lock up front; committed on success, else rolled back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the pending migrations, each in its own transaction together with its version bump."""
    for target, statements in enumerate(MIGRATIONS, start=1):
        with _transaction(conn):
            # Read under the write lock: another process may have migrated meanwhile.
            if _user_version(conn) >= target:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {int(target)}")  # PRAGMA values cannot be bound


def _learner_seed(conn: sqlite3.Connection) -> int:
    """The persisted 63-bit learner seed, created on first use."""
    with _transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('learner_seed', ?)", (secrets.randbits(63),)
        )
        (seed,) = conn.execute("SELECT value FROM meta WHERE key = 'learner_seed'").fetchone()
    return int(seed)


def _lesson(row: sqlite3.Row) -> LessonProgress:
    return LessonProgress(
        lesson_id=row["lesson_id"],
        current_step=row["current_step"],
        furthest_step=row["furthest_step"],
        n_steps=row["n_steps"],
        complete=bool(row["complete"]),
        last_visited=datetime.fromisoformat(row["last_visited"]),
    )


def _attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        time=datetime.fromisoformat(row["time"]),
        lesson_id=row["lesson_id"],
        quiz_id=row["quiz_id"],
        seed=row["seed"],
        answer=row["answer"],
        verdict=row["verdict"],
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")


def _check_steps(step: int, n_steps: int) -> None:
    if not _is_int(n_steps) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int, not {n_steps!r}")
    if not _is_int(step) or not 0 <= step < n_steps:
        raise ValueError(f"step must be an int in [0, {n_steps}), not {step!r}")
