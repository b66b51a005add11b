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
:class:`ProgressError`.

Faults during a session never end it. A file that cannot be written at start (read-only, or locked by
another program for longer than :data:`BUSY_TIMEOUT_S`) is opened read-only: its progress is shown and
exported, and a warning says that nothing new is being saved. A write that fails later (a full disk, a
held lock, an I/O error) is kept in memory, in order, and retried at every later write and at
:meth:`ProgressStore.close`; :attr:`ProgressStore.not_saving` says why progress is not being saved, and
:attr:`ProgressStore.on_saving_change` tells a front end once when saving stops and once when it works
again. Only :meth:`ProgressStore.reset`, which the learner asks for explicitly, raises when it cannot be
done now.

Damaged rows (hand-edited, or written by a buggy tool: text in a number column, a bad date, NULLs, text
that is not UTF-8) never stop a read: each row is checked as it is read, repaired for display when a field
can be (a bad date is dropped, a bad step is shown as 0) or skipped when it cannot, and named in a warning
(table and row id). Reading never changes the file; a later write to a repaired lesson row rewrites it.

Schema migrations live in :data:`MIGRATIONS` (see there). A store opened read-only never migrates, so a
reader must cope with a table that a newer migration adds being absent: read through
:meth:`ProgressStore._table_rows`, which returns no rows for a missing table, and check each row as
:meth:`ProgressStore._lessons` and :meth:`ProgressStore._attempts` do (a fast path for a good row, a field by
field repair for a damaged one).
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from functools import wraps
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs

from ce_tutor import clock

APP_NAME = "ce-tutor"
HOME_ENV = "CE_TUTOR_HOME"
FILE_NAME = "progress.sqlite3"
EXPORT_FORMAT = "ce-tutor-progress"
EXPORT_VERSION = 1
#: How long a write waits for another process's lock before progress counts as "not being saved".
BUSY_TIMEOUT_S = 5.0
#: How long each retry waits for a lock while progress is not being saved (short: the UI thread waits).
RETRY_TIMEOUT_S = 0.05
CORRECT = "correct"
HINT = "hint"  # the verdict of a row that records a hint the learner asked for
#: At most this many damaged rows of one table are named one by one in the warnings.
DAMAGE_NAMED = 5

#: Schema migrations; entry ``i`` takes ``PRAGMA user_version`` from ``i`` to ``i + 1``. Append only:
#: never edit an entry that has shipped. To add a table (for example review cards), append one entry with
#: its ``CREATE TABLE`` / ``CREATE INDEX`` statements; :func:`_migrate` runs each pending entry in its own
#: transaction together with its version bump, and :data:`SCHEMA_VERSION` follows. Then read the table only
#: through :meth:`ProgressStore._table_rows` (a read-only store at an older version lacks it), check every
#: row field by field (a row can hold anything), and write through :meth:`ProgressStore._save`, so that a
#: failed write is queued and retried like the others.
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
    # 2: spaced review (ce_tutor.review). One FSRS card per (lesson, quiz), every review's log, and every
    # quiz variant shown. Quizzes attempted before this version become cards that are due at once.
    (
        """CREATE TABLE review_cards (
            lesson_id TEXT NOT NULL,
            quiz_id TEXT NOT NULL,
            state INTEGER NOT NULL,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            created TEXT NOT NULL,
            PRIMARY KEY (lesson_id, quiz_id)
        )""",
        "CREATE INDEX review_cards_by_due ON review_cards (due)",
        """CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            quiz_id TEXT NOT NULL,
            rating INTEGER NOT NULL,
            source TEXT NOT NULL,
            seed INTEGER NOT NULL,
            duration_ms INTEGER,
            due TEXT NOT NULL
        )""",
        "CREATE INDEX review_log_by_quiz ON review_log (lesson_id, quiz_id)",
        """CREATE TABLE seen_variants (
            lesson_id TEXT NOT NULL,
            quiz_id TEXT NOT NULL,
            seed INTEGER NOT NULL,
            PRIMARY KEY (lesson_id, quiz_id, seed)
        ) WITHOUT ROWID""",
        """INSERT INTO review_cards (lesson_id, quiz_id, state, step, stability, difficulty, due, last_review,
                                     created)
           SELECT lesson_id, quiz_id, 1, 0, NULL, NULL, first, NULL, first
           FROM (SELECT lesson_id, quiz_id, COALESCE(MIN(CASE WHEN julianday(time) IS NOT NULL THEN time END),
                                                     '1970-01-01T00:00:00.000000+00:00') AS first
                 FROM attempts WHERE typeof(lesson_id) = 'text' AND typeof(quiz_id) = 'text'
           GROUP BY lesson_id, quiz_id)""",
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
#: Failures after which no write can succeed now (every later one waits too, so that order is kept).
_WAIT_CODES = _BUSY_CODES | _ACCESS_CODES
_SEED_RANGE = range(-(2**63), 2**63)  # what fits in an SQLite INTEGER

#: One write transaction: its statements with their parameters.
_Write = tuple[tuple[str, dict[str, object]], ...]


class ProgressError(Exception):
    """A progress-file problem the user must act on; ``str(error)`` is the message to show."""


class _Corrupt(Exception):
    """The file at the progress path is not a usable SQLite database."""


class _Unwritable(Exception):
    """Progress cannot be kept on disk at the requested place."""


class _Locked(Exception):
    """Another program holds the progress file's write lock."""


@dataclass(frozen=True)
class LessonProgress:
    """Where a learner is in one lesson; ``last_visited`` is ``None`` if never visited (or if the saved
    date was damaged)."""

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
        if self.n_steps <= 0:  # never visited
            return 0
        return min(100, (self.furthest_step + 1) * 100 // self.n_steps)


@dataclass(frozen=True)
class Attempt:
    """One answer to one quiz variant, with the verdict it got (stored as given); ``time`` is ``None``
    only if the saved time was damaged."""

    time: datetime | None
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


@dataclass(frozen=True)
class ReviewCard:
    """The FSRS schedule of one quiz (see :mod:`ce_tutor.review`): the fields of an ``fsrs.Card``, in UTC.

    ``reviews`` counts the entries of its review log (0 for a card carried over from before reviews).
    """

    lesson_id: str
    quiz_id: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int = 0


@dataclass(frozen=True)
class ReviewEntry:
    """One review of a card: when, the rating (1 Again .. 4 Easy), where (``"lesson"`` or ``"review"``), the
    variant's seed, how long the learner took (milliseconds, None if not solved) and the new due time."""

    time: datetime
    lesson_id: str
    quiz_id: str
    rating: int
    source: str
    seed: int
    duration_ms: int | None
    due: datetime


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


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a :class:`ProgressStore` method holding the store's lock (it may be used from several threads)."""

    @wraps(method)
    def locked(self: ProgressStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class ProgressStore:
    """The progress database. Use from one thread; every write is committed before the method returns,
    or, if the file cannot take it now, queued and retried (see the module's documentation)."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        """Open (creating, migrating or recovering as needed) the store in ``data_dir``.

        Raises :class:`ProgressError` only if the file is from a newer ce-tutor or cannot be migrated;
        every other problem becomes a warning in :attr:`warnings`.
        """
        # One use of the store at a time: the app's step workers use it too (a quiz's first draw marks its
        # variant seen), so the connection is shared between threads and this lock serializes every use.
        self._lock = threading.RLock()
        #: Problems found while opening and reading, for the front end to show (plain text, one line each).
        self.warnings: list[str] = []
        #: The file, or ``None`` when the store runs in memory.
        self.path: Path | None = None
        #: Whether the file is open read-only (nothing is written until it can be reopened read-write).
        self.read_only = False
        #: Why progress is not being saved right now, or ``None`` while it is.
        self.not_saving: str | None = None
        #: Called with :attr:`not_saving` when saving stops working, and with ``None`` when it works again.
        self.on_saving_change: Callable[[str | None], None] | None = None
        self._pending: list[_Write] = []
        self._damage: dict[str, list[str]] = {}
        self._damaged_rows: set[tuple[str, int | None]] = set()
        self._closed = False
        self._scanned = False
        self._reason = ""  # why progress is not being saved, in a few words
        directory = default_data_dir(data_dir)
        path = directory / FILE_NAME
        try:
            self._conn = self._open_in(directory)
            self.path = path
        except (_Unwritable, _Locked) as exc:
            self._conn = self._open_read_only(path, exc) if isinstance(exc, _Locked) or _has_data(path) else None
            if self._conn is None:
                self.warnings.append(
                    f"cannot read progress file {path} ({exc}); it is left as it is, and progress is neither shown "
                    "nor saved this session" if _has_data(path) else f"progress will not be saved this session: {exc}"
                )
                self._conn = _connect(":memory:")
            else:
                self.path = path
                self.read_only = True
        self.learner_seed = self._seed()
        self._scan()
        if self.not_saving is not None and self.not_saving not in self.warnings:  # a write at start failed
            self.warnings.append(self.not_saving)

    # -- lessons ---------------------------------------------------------------------------------

    def visit_step(self, lesson_id: str, step: int, n_steps: int) -> None:
        """Record that the learner is on ``step`` (0-based) of a lesson with ``n_steps`` steps."""
        _check_id("lesson_id", lesson_id)
        _check_steps(step, n_steps)
        # A damaged number in the row (text, NULL) counts as 0, so a write repairs the row.
        self._save(
            (
                """INSERT INTO lessons
                       (lesson_id, current_step, furthest_step, n_steps, complete, last_visited, visit_seq)
                   VALUES (:lesson, :step, :step, :n, 0, :now, (SELECT COALESCE(MAX(
                           CASE typeof(visit_seq) WHEN 'integer' THEN visit_seq END), 0) + 1 FROM lessons))
                   ON CONFLICT (lesson_id) DO UPDATE SET
                       current_step = excluded.current_step,
                       furthest_step = MIN(MAX(CASE typeof(furthest_step) WHEN 'integer' THEN furthest_step
                                               ELSE 0 END, excluded.furthest_step), excluded.n_steps - 1),
                       n_steps = excluded.n_steps,
                       complete = CASE complete WHEN 1 THEN 1 ELSE 0 END,
                       last_visited = excluded.last_visited,
                       visit_seq = excluded.visit_seq""",
                {"lesson": lesson_id, "step": step, "n": n_steps, "now": _iso(_now())},
            ),
        )

    def complete_lesson(self, lesson_id: str, n_steps: int) -> None:
        """Mark a lesson complete (for good: later visits keep it complete); the resume step is kept."""
        _check_id("lesson_id", lesson_id)
        _check_steps(0, n_steps)
        self._save(
            (
                """INSERT INTO lessons
                       (lesson_id, current_step, furthest_step, n_steps, complete, last_visited, visit_seq)
                   VALUES (:lesson, 0, :n - 1, :n, 1, :now, (SELECT COALESCE(MAX(
                           CASE typeof(visit_seq) WHEN 'integer' THEN visit_seq END), 0) + 1 FROM lessons))
                   ON CONFLICT (lesson_id) DO UPDATE SET
                       current_step = MIN(MAX(CASE typeof(current_step) WHEN 'integer' THEN current_step
                                              ELSE 0 END, 0), excluded.n_steps - 1),
                       furthest_step = excluded.furthest_step,
                       n_steps = excluded.n_steps,
                       complete = 1,
                       last_visited = excluded.last_visited,
                       visit_seq = excluded.visit_seq""",
                {"lesson": lesson_id, "n": n_steps, "now": _iso(_now())},
            ),
        )

    def lesson(self, lesson_id: str) -> LessonProgress:
        """Progress in one lesson; a never-visited (or unreadably damaged) lesson gives zeros and
        ``last_visited=None``."""
        found = self._lessons("WHERE lesson_id = :lesson", {"lesson": lesson_id})
        return found[0][0] if found else LessonProgress(lesson_id, 0, 0, 0, False, None)

    def lessons(self) -> dict[str, LessonProgress]:
        """Every visited lesson, by id (sorted); damaged rows are repaired or skipped (see :attr:`warnings`)."""
        return {p.lesson_id: p for p, _ in sorted(self._lessons(), key=lambda found: found[0].lesson_id)}

    def last_lesson(self) -> LessonProgress | None:
        """The most recently visited incomplete lesson (to offer "resume?"), or ``None``."""
        candidates = [found for found in self._lessons("WHERE complete IS NOT 1") if not found[0].complete]
        return max(candidates, key=lambda found: found[1])[0] if candidates else None

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
        self._save(
            (
                "INSERT INTO attempts (time, lesson_id, quiz_id, seed, answer, verdict)"
                " VALUES (:time, :lesson, :quiz, :seed, :answer, :verdict)",
                {"time": _iso(_now()), "lesson": lesson_id, "quiz": quiz_id, "seed": seed, "answer": answer,
                 "verdict": verdict},
            ),
        )

    def attempts(self, lesson_id: str | None = None, quiz_id: str | None = None) -> list[Attempt]:
        """Attempts in the order they were made, optionally only those of one lesson and/or quiz."""
        return self._attempts(
            "WHERE (:lesson IS NULL OR lesson_id = :lesson) AND (:quiz IS NULL OR quiz_id = :quiz) ORDER BY rowid",
            {"lesson": lesson_id, "quiz": quiz_id},
        )

    def quiz_stats(self, lesson_id: str | None = None) -> list[QuizStats]:
        """Attempt and ``"correct"`` counts per quiz, sorted by lesson then quiz (asked-for hints, recorded
        with the verdict ``"hint"``, are not attempts)."""
        counts: dict[tuple[str, str], list[int]] = {}
        for a in self.attempts(lesson_id):
            if a.verdict == HINT:
                continue
            count = counts.setdefault((a.lesson_id, a.quiz_id), [0, 0])
            count[0] += 1
            count[1] += a.verdict == CORRECT
        return [QuizStats(lesson, quiz, n, right) for (lesson, quiz), (n, right) in sorted(counts.items())]

    # -- review cards (ce_tutor.review) ----------------------------------------------------------------

    def review_card(self, lesson_id: str, quiz_id: str) -> ReviewCard | None:
        """The card of one quiz, or None if the learner has not met it."""
        rows = self._read(
            f"{_CARD_SELECT} WHERE c.lesson_id = ? AND c.quiz_id = ?", (lesson_id, quiz_id)
        )
        cards = _review_cards(rows)
        return cards[0] if cards else None

    def review_cards(self) -> list[ReviewCard]:
        """Every card, soonest due first (a row that cannot be read is left out)."""
        return _review_cards(self._read(f"{_CARD_SELECT} ORDER BY c.due, c.lesson_id, c.quiz_id", ()))

    def due_count(self, now: datetime | None = None) -> int:
        """How many cards are due at ``now`` (default: the clock). One SQL count: cheap enough for start-up."""
        rows = self._read("SELECT COUNT(*) FROM review_cards WHERE due <= ?", (_iso_utc(now or _now()),))
        return int(rows[0][0]) if rows else 0

    def next_due(self) -> datetime | None:
        """When the soonest card is due, or None without cards."""
        rows = self._read("SELECT MIN(due) FROM review_cards", ())
        return _time(rows[0][0]) if rows and rows[0][0] else None

    def save_review(self, card: ReviewCard, entry: ReviewEntry) -> None:
        """Store a card's new schedule and the review that gave it, in one transaction."""
        for name, value in (("lesson_id", card.lesson_id), ("quiz_id", card.quiz_id)):
            _check_id(name, value)
        if (entry.lesson_id, entry.quiz_id) != (card.lesson_id, card.quiz_id):
            raise ValueError("the review entry is not about this card")
        if not _is_int(entry.seed) or entry.seed not in _SEED_RANGE:
            raise ValueError(f"seed must be an int in [-2**63, 2**63), not {entry.seed!r}")
        self._save(
            (
                """INSERT INTO review_cards (lesson_id, quiz_id, state, step, stability, difficulty, due,
                                             last_review, created)
                   VALUES (:lesson, :quiz, :state, :step, :stability, :difficulty, :due, :last, :now)
                   ON CONFLICT (lesson_id, quiz_id) DO UPDATE SET
                       state = excluded.state, step = excluded.step, stability = excluded.stability,
                       difficulty = excluded.difficulty, due = excluded.due, last_review = excluded.last_review""",
                {
                    "lesson": card.lesson_id, "quiz": card.quiz_id, "state": int(card.state), "step": card.step,
                    "stability": card.stability, "difficulty": card.difficulty, "due": _iso_utc(card.due),
                    "last": _iso_utc(card.last_review) if card.last_review else None, "now": _iso_utc(entry.time),
                },
            ),
            (
                """INSERT INTO review_log (time, lesson_id, quiz_id, rating, source, seed, duration_ms, due)
                   VALUES (:time, :lesson, :quiz, :rating, :source, :seed, :duration, :due)""",
                {
                    "time": _iso_utc(entry.time), "lesson": entry.lesson_id, "quiz": entry.quiz_id,
                    "rating": int(entry.rating), "source": entry.source, "seed": entry.seed,
                    "duration": entry.duration_ms, "due": _iso_utc(entry.due),
                },
            ),
        )

    def review_log(self, lesson_id: str | None = None, quiz_id: str | None = None) -> list[ReviewEntry]:
        """Reviews in the order they were made, optionally only those of one lesson and/or quiz."""
        rows = self._read(
            """SELECT * FROM review_log
               WHERE (:lesson IS NULL OR lesson_id = :lesson) AND (:quiz IS NULL OR quiz_id = :quiz)
               ORDER BY id""",
            {"lesson": lesson_id, "quiz": quiz_id},
        )
        entries = []
        for row in rows:
            try:
                entries.append(ReviewEntry(
                    _time(row["time"]), row["lesson_id"], row["quiz_id"], int(row["rating"]), row["source"],
                    int(row["seed"]), None if row["duration_ms"] is None else int(row["duration_ms"]),
                    _time(row["due"]),
                ))
            except (TypeError, ValueError):
                continue  # a damaged row costs that row only
        return entries

    def mark_seen(self, lesson_id: str, quiz_id: str, seed: int) -> None:
        """Remember that the learner was shown the variant ``seed`` of a quiz (reviews never show it again)."""
        _check_id("lesson_id", lesson_id)
        _check_id("quiz_id", quiz_id)
        if not _is_int(seed) or seed not in _SEED_RANGE:
            raise ValueError(f"seed must be an int in [-2**63, 2**63), not {seed!r}")
        self._save((
            "INSERT OR IGNORE INTO seen_variants (lesson_id, quiz_id, seed) VALUES (:lesson, :quiz, :seed)",
            {"lesson": lesson_id, "quiz": quiz_id, "seed": seed},
        ))

    def seen_seeds(self, lesson_id: str, quiz_id: str) -> set[int]:
        """The seeds of every variant of a quiz the learner was shown or answered."""
        rows = self._read(
            """SELECT seed FROM seen_variants WHERE lesson_id = :lesson AND quiz_id = :quiz
               UNION SELECT seed FROM review_log WHERE lesson_id = :lesson AND quiz_id = :quiz""",
            {"lesson": lesson_id, "quiz": quiz_id},
        )
        seen = {int(row[0]) for row in rows if _is_int(row[0])}
        return seen | {a.seed for a in self.attempts(lesson_id, quiz_id)}  # attempts: checked row by row

    def _export_reviews(self) -> dict[str, Any]:
        return {
            "review_cards": [
                {
                    "lesson_id": c.lesson_id,
                    "quiz_id": c.quiz_id,
                    "due": _iso_utc(c.due),
                    "state": c.state,
                    "step": c.step,
                    "stability": c.stability,
                    "difficulty": c.difficulty,
                    "last_review": _iso_utc(c.last_review) if c.last_review else None,
                    "reviews": c.reviews,
                }
                for c in self.review_cards()
            ],
            "review_log": [
                {
                    "time": _iso_utc(e.time),
                    "lesson_id": e.lesson_id,
                    "quiz_id": e.quiz_id,
                    "rating": e.rating,
                    "source": e.source,
                    "seed": e.seed,
                    "duration_ms": e.duration_ms,
                    "due": _iso_utc(e.due),
                }
                for e in self.review_log()
            ],
        }

    # -- whole store -----------------------------------------------------------------------------

    @_locked
    def reset(self, lesson_id: str | None = None) -> int:
        """Forget the progress, attempts and review cards (with their logs) of one lesson, or of all; the
        learner seed stays. Rows deleted.

        Unlike the other writes this is never queued: it raises :class:`ProgressError` (and changes
        nothing) if the file cannot be written now."""
        if not self._flush() or self.read_only:
            raise ProgressError(f"{self._where()} cannot be written now ({self._reason}); nothing was reset")
        params = {"lesson": lesson_id}
        with self._errors(), _transaction(self._conn):
            lessons = self._conn.execute("DELETE FROM lessons WHERE :lesson IS NULL OR lesson_id = :lesson", params)
            attempts = self._conn.execute(
                "DELETE FROM attempts WHERE :lesson IS NULL OR lesson_id = :lesson", params
            )
            reviews = _reset_reviews(self._conn, params)
            return lessons.rowcount + attempts.rowcount + reviews

    def export(self) -> dict[str, Any]:
        """Everything readable, as JSON-ready data with a fixed key order and ISO-8601 UTC times (``None``
        for a damaged time); damaged rows are repaired or left out as :attr:`warnings` says."""
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
                    "time": _iso(a.time) if a.time else None,
                    "lesson_id": a.lesson_id,
                    "quiz_id": a.quiz_id,
                    "seed": a.seed,
                    "answer": a.answer,
                    "verdict": a.verdict,
                }
                for a in self.attempts()
            ],
            **self._export_reviews(),
        }

    @property
    def unsaved(self) -> int:
        """How many writes of this session are waiting to be saved."""
        return len(self._pending)

    @_locked
    def retry(self) -> bool:
        """Try to save what is waiting now; whether nothing is left waiting (``False`` once closed)."""
        return not self._closed and self._flush()

    @_locked
    def close(self) -> None:
        """Save what is waiting if the file takes it now, then close (idempotent); the store cannot be used
        afterwards. Writes that still could not be saved are reported through :attr:`on_saving_change`."""
        if self._closed:
            return
        try:
            if self._pending and not self._flush() and self.on_saving_change is not None:
                n = len(self._pending)
                reason = self._reason
                self.on_saving_change(
                    f"{n} change{'s' * (n != 1)} made this session could not be saved to {self._where()} ({reason})"
                )
        finally:
            self._closed = True
            self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- opening ---------------------------------------------------------------------------------

    def _open_in(self, directory: Path) -> sqlite3.Connection:
        """Open the file in ``directory`` read-write, moving a damaged one aside.

        :class:`_Unwritable` if it cannot be written there, :class:`_Locked` if another program holds it.
        """
        path = directory / FILE_NAME
        try:
            directory.mkdir(parents=True, exist_ok=True)
            misplaced = path.exists() and not path.is_file()
        except OSError as exc:
            reason = exc.strerror or exc
            raise _Unwritable(f"cannot use {directory} as the data directory ({reason})") from exc
        if not misplaced and not _can_write(path):
            raise _Unwritable(f"{path if path.exists() else directory} is read-only")
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

    def _open_read_only(self, path: Path, why: Exception) -> sqlite3.Connection | None:
        """Open ``path`` read-only, to show its progress when it cannot be written; ``None`` if impossible."""
        conn = _connect_read_only(path)
        if conn is None:
            return None
        if isinstance(why, _Locked):
            self._reason = "it is locked by another program"
            self.not_saving = (
                f"{path} is locked by another program (waited {BUSY_TIMEOUT_S:g} s), so progress is not "
                "being saved; what you do now is kept and saved once the lock is released"
            )
        else:
            self._reason = str(why)
            self.not_saving = f"{why}: the progress in it is shown, but nothing new will be saved"
        self.warnings.append(self.not_saving)
        return conn

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

    def _seed(self) -> int:
        """The persisted 63-bit learner seed, created (or, if damaged, replaced) when the file is writable
        (a write that fails waits with the others); a read-only file without a usable one gives a seed for
        this session only."""
        fresh = secrets.randbits(63)
        if not self._has_table("meta"):
            return fresh
        if not self.read_only:
            self._save(("INSERT OR IGNORE INTO meta (key, value) VALUES ('learner_seed', :seed)", {"seed": fresh}))
        rows = self._fetch("SELECT rowid, value FROM meta WHERE key = 'learner_seed'", {})
        if not rows:
            return fresh
        rowid, value = rows[0]
        if _is_int(value) and value in _SEED_RANGE:
            return value
        if not self.read_only:
            self._save(("UPDATE meta SET value = :seed WHERE key = 'learner_seed'", {"seed": fresh}))
        self._note_damage("meta", rowid, f"learner_seed {quoted(value)} is not a 63-bit whole number; "
                          + ("a new seed was stored" if not self.read_only else "using a new seed for now"))
        return fresh

    def _scan(self) -> None:
        """Read every row once, so that damage is reported in :attr:`warnings` when the store opens."""
        self._lessons()
        self._attempts(keep=False)
        for table, problems in self._damage.items():
            self.warnings.extend(problems[:DAMAGE_NAMED])
            if len(problems) > DAMAGE_NAMED:
                self.warnings.append(f"progress file {self._where()}: {len(problems) - DAMAGE_NAMED} more damaged "
                                     f"rows in table {table}, repaired or skipped the same way")
        self._scanned = True

    # -- writing ---------------------------------------------------------------------------------

    @_locked
    def _save(self, *statements: tuple[str, dict[str, object]]) -> None:
        """Run one write transaction now, after any that are waiting; if the file cannot take it, keep it
        waiting (in order) and say once that progress is not being saved."""
        self._pending.append(statements)
        self._flush()

    @_locked
    def _flush(self) -> bool:
        """Write what is waiting, oldest first, each in its own transaction; whether nothing is left."""
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        if self.read_only and not self._reopen():
            return not self._pending
        waiting, self._pending = self._pending, []
        error: sqlite3.DatabaseError | None = None
        for i, write in enumerate(waiting):
            try:
                with _transaction(self._conn):
                    for sql, params in write:
                        self._conn.execute(sql, params)
            except sqlite3.ProgrammingError:
                self._pending += waiting[i:]
                raise
            except sqlite3.DatabaseError as exc:
                error = exc
                if _code(exc) in _WAIT_CODES:  # the file takes no writes now: keep the rest, in order
                    self._pending += waiting[i:]
                    break
                self._pending.append(write)  # this write does not fit the file (a hand-made schema): the rest may
        if error is not None:
            self._reason = "it is locked by another program" if _code(error) in _BUSY_CODES else str(error)
            self._stopped_saving(f"progress is not being saved to {self._where()} ({self._reason}); what "
                                 "you do is kept and saved as soon as it can be")
            return False
        if self.not_saving is not None:
            self.not_saving = None
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if self.on_saving_change is not None:
                self.on_saving_change(None)
        return True

    def _stopped_saving(self, message: str) -> None:
        if self.not_saving is None:
            self.not_saving = message
            if not self.read_only:  # from now on, retries wait only briefly for a lock
                self._conn.execute(f"PRAGMA busy_timeout = {int(RETRY_TIMEOUT_S * 1000)}")
            if self.on_saving_change is not None:
                self.on_saving_change(message)

    def _reopen(self) -> bool:
        """Swap a read-only connection for a read-write one if the file can be written now."""
        assert self.path is not None
        if not _can_write(self.path):
            return False
        try:
            _check_file(self.path)
            conn = _connect(self.path, timeout=RETRY_TIMEOUT_S)
        except (ProgressError, _Unwritable, _Locked, _Corrupt, sqlite3.Error, OSError):
            return False
        self._conn.close()
        self._conn = conn
        self.read_only = False
        return True

    # -- reading ---------------------------------------------------------------------------------

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

    @_locked
    def _has_table(self, table: str) -> bool:
        with self._errors():
            return self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone() is not None

    @_locked
    def _table_rows(
        self, table: str, columns: tuple[str, ...], where: str = "", params: dict[str, object] | None = None
    ) -> list[tuple[Any, ...]]:
        """``(rowid, *columns)`` of the rows of ``table`` matching ``where``: none if the file has no such table
        (a file opened read-only is not migrated), or if it lacks one of the columns (a hand-made schema,
        named in :attr:`warnings`). ``table``, ``columns`` and ``where`` are code, never input."""
        if not self._has_table(table):
            return []
        with self._errors():
            present = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            missing = [name for name in columns if name not in present]
            if missing:
                self._note_damage(table, None, f"lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)}; "
                                  "its rows are skipped")
                return []
        return self._fetch(f"SELECT rowid, {', '.join(columns)} FROM {table} {where}", params or {})

    @_locked
    def _fetch(self, sql: str, params: dict[str, object]) -> list[tuple[Any, ...]]:
        """All rows of a query. Text that is not UTF-8 would fail the whole query: then it is read again with
        the bad bytes kept as surrogates, for the row checks to find (see :func:`_utf8`)."""
        with self._errors():
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if "decode" not in str(exc):
                    raise
            self._conn.text_factory = _lenient_text
            try:
                return self._conn.execute(sql, params).fetchall()
            finally:
                self._conn.text_factory = str

    @_locked
    def _read(self, sql: str, params: tuple[object, ...] | dict[str, object]) -> list[sqlite3.Row]:
        """Rows of a query on the review tables, by column name; none when the file has no review tables (a
        read-only file at an older schema version is not migrated)."""
        if not self._has_table("review_cards"):
            return []
        with self._errors():
            self._conn.row_factory = sqlite3.Row
            try:
                return self._conn.execute(sql, params).fetchall()
            finally:
                self._conn.row_factory = None

    def _note_damage(self, table: str, rowid: int | None, problem: str) -> None:
        """Remember a damaged row (or table, if ``rowid`` is ``None``), once; named in :attr:`warnings`
        (directly, if found after opening)."""
        if (table, rowid) in self._damaged_rows:
            return
        self._damaged_rows.add((table, rowid))
        where = f"table {table}" if rowid is None else f"table {table}, row {rowid}"
        message = f"progress file {self._where()}, {where}: {problem}"
        problems = self._damage.setdefault(table, [])
        problems.append(message)
        if self._scanned and len(problems) <= DAMAGE_NAMED:
            self.warnings.append(message)

    def _lessons(self, where: str = "", params: dict[str, object] | None = None) -> list[tuple[LessonProgress, int]]:
        """The lesson rows matching ``where`` that can be shown, each with its ``visit_seq``."""
        found = []
        for row in self._table_rows("lessons", _LESSON_COLUMNS, where, params):
            rowid, lesson_id, current, furthest, n_steps, complete, visited, seq = row
            moment = _date(visited)
            if (type(lesson_id) is str and lesson_id and _utf8(lesson_id) and type(n_steps) is int and n_steps > 0
                    and type(current) is int and 0 <= current < n_steps and type(furthest) is int
                    and 0 <= furthest < n_steps and (complete == 0 or complete == 1) and type(complete) is int
                    and moment is not None and type(seq) is int):
                found.append((LessonProgress(lesson_id, current, furthest, n_steps, bool(complete), moment), seq))
            else:
                checked = self._lesson_row(dict(zip(("rowid", *_LESSON_COLUMNS), row)))
                if checked is not None:
                    found.append(checked)
        return found

    def _lesson_row(self, fields: dict[str, Any]) -> tuple[LessonProgress, int] | None:
        """A damaged lesson row, repaired for display, with its ``visit_seq``; ``None`` if it must be skipped."""
        rowid = fields["rowid"]
        problems: list[str] = []
        lesson_id = _text(fields["lesson_id"], problems, "lesson_id")
        n_steps = fields["n_steps"]
        if not lesson_id:
            self._note_damage("lessons", rowid, f"lesson_id {quoted(fields['lesson_id'])} is not a lesson id; "
                              "row skipped")
            return None
        if not _is_int(n_steps) or n_steps < 1:
            self._note_damage("lessons", rowid, f"lesson {quoted(lesson_id)}: n_steps {quoted(n_steps)} is not a "
                              "positive whole number; row skipped")
            return None
        steps = {}
        for name in ("current_step", "furthest_step"):
            value = fields[name]
            steps[name] = min(max(value, 0), n_steps - 1) if _is_int(value) else 0
            if steps[name] != value or not _is_int(value):
                problems.append(f"{name} {quoted(value)} is not a step of {n_steps}; shown as {steps[name]}")
        complete = fields["complete"]
        if not _is_int(complete) or complete not in (0, 1):
            problems.append(f"complete {quoted(complete)} is not 0 or 1; shown as not complete")
            complete = 0
        last_visited = _date(fields["last_visited"])
        if last_visited is None:
            problems.append(f"last_visited {quoted(fields['last_visited'])} is not a date; left out")
        visit_seq = fields["visit_seq"]
        if not _is_int(visit_seq):
            problems.append(f"visit_seq {quoted(visit_seq)} is not a whole number; counted as 0")
            visit_seq = 0
        if problems:
            self._note_damage("lessons", rowid, f"lesson {quoted(lesson_id)}: " + "; ".join(problems))
        progress = LessonProgress(lesson_id, steps["current_step"], steps["furthest_step"], n_steps,
                                  bool(complete), last_visited)
        return progress, visit_seq

    def _attempts(self, where: str = "", params: dict[str, object] | None = None, keep: bool = True) -> list[Attempt]:
        """The attempt rows matching ``where`` that can be shown (only the repaired ones unless ``keep``: a
        check for damage need not build the good rows)."""
        found = []
        for row in self._table_rows("attempts", _ATTEMPT_COLUMNS, where, params):
            rowid, moment, lesson_id, quiz_id, seed, answer, verdict = row
            moment = _date(moment)
            if (moment is not None and type(lesson_id) is str and lesson_id and type(quiz_id) is str and quiz_id
                    and type(seed) is int and -(2**63) <= seed < 2**63 and type(answer) is str
                    and type(verdict) is str and verdict and _utf8(lesson_id, quiz_id, answer, verdict)):
                if keep:
                    found.append(Attempt(moment, lesson_id, quiz_id, seed, answer, verdict))
            else:
                checked = self._attempt_row(dict(zip(("rowid", *_ATTEMPT_COLUMNS), row)))
                if checked is not None:
                    found.append(checked)
        return found

    def _attempt_row(self, fields: dict[str, Any]) -> Attempt | None:
        """A damaged attempt row, repaired for display; ``None`` if it must be skipped."""
        rowid = fields["rowid"]
        problems: list[str] = []
        texts = {name: _text(fields[name], problems, name) for name in ("lesson_id", "quiz_id", "verdict")}
        answer = fields["answer"]
        if _is_int(answer) or isinstance(answer, float):
            answer = repr(answer)
        answer = _text(answer, problems, "answer")
        seed = fields["seed"]
        missing = [name for name, value in texts.items() if not value]
        if answer is None:
            missing.append("answer")
        if missing or not _is_int(seed) or seed not in _SEED_RANGE:
            bad = [f"{name} {quoted(fields[name])}" for name in missing]
            if not _is_int(seed) or seed not in _SEED_RANGE:
                bad.append(f"seed {quoted(seed)}")
            self._note_damage("attempts", rowid, f"{', '.join(bad)} unusable; row skipped")
            return None
        moment = _date(fields["time"])
        if moment is None:
            problems.append(f"time {quoted(fields['time'])} is not a date; left out")
        if problems:
            self._note_damage("attempts", rowid, "; ".join(problems))
        return Attempt(moment, texts["lesson_id"], texts["quiz_id"], seed, answer,  # type: ignore[arg-type]
                       texts["verdict"])  # type: ignore[arg-type]


_LESSON_COLUMNS = ("lesson_id", "current_step", "furthest_step", "n_steps", "complete", "last_visited", "visit_seq")
_ATTEMPT_COLUMNS = ("time", "lesson_id", "quiz_id", "seed", "answer", "verdict")


def _utf8(*texts: str) -> bool:
    """Whether every text is valid UTF-8 as read (bad bytes come back as surrogates: see
    :meth:`ProgressStore._fetch`)."""
    for text in texts:
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _can_write(path: Path) -> bool:
    """Whether this process may write ``path`` (if it exists) and create files beside it (SQLite's -wal and
    -shm). A seam for tests: as root every permission check passes, so they force the answer here."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _has_data(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def _connect_read_only(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to ``path``, or ``None`` if it cannot be read.

    In a folder it cannot write, SQLite can open a WAL database read-only only as ``immutable`` (it cannot
    create the shared-memory index): nobody can write there either, so that is safe."""
    uri = path.resolve().as_uri()
    for query in ("mode=ro", "mode=ro&immutable=1"):
        conn = None
        try:
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)  # ProgressStore._lock serializes its use
            _refuse_newer(conn, path)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error:
            if conn is not None:
                conn.close()
        except ProgressError:
            if conn is not None:
                conn.close()
            raise
    return None


# -- review cards (ce_tutor.review) ---------------------------------------------------------------------------
_CARD_SELECT = """SELECT c.*, (SELECT COUNT(*) FROM review_log AS l
                               WHERE l.lesson_id = c.lesson_id AND l.quiz_id = c.quiz_id) AS reviews
                  FROM review_cards AS c"""


def _review_cards(rows: list[sqlite3.Row]) -> list[ReviewCard]:
    cards = []
    for row in rows:
        try:
            cards.append(ReviewCard(
                lesson_id=row["lesson_id"],
                quiz_id=row["quiz_id"],
                state=int(row["state"]),
                step=None if row["step"] is None else int(row["step"]),
                stability=None if row["stability"] is None else float(row["stability"]),
                difficulty=None if row["difficulty"] is None else float(row["difficulty"]),
                due=_time(row["due"]),
                last_review=_time(row["last_review"]) if row["last_review"] else None,
                reviews=int(row["reviews"]),
            ))
        except (TypeError, ValueError):
            continue  # a damaged row costs that card only
    return cards


def _reset_reviews(conn: sqlite3.Connection, params: dict[str, object]) -> int:
    """Delete the review cards, logs and seen variants of one lesson (or all); rows deleted."""
    deleted = 0
    for table in ("review_cards", "review_log", "seen_variants"):
        deleted += conn.execute(
            f"DELETE FROM {table} WHERE :lesson IS NULL OR lesson_id = :lesson", params  # noqa: S608 - fixed names
        ).rowcount
    return deleted


def _iso_utc(moment: datetime) -> str:
    """Review times are compared as text in SQL: always UTC, always the same format."""
    return _iso(moment.astimezone(timezone.utc))


def _time(text: str) -> datetime:
    """A stored time as an aware UTC datetime (stored times are UTC)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


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


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _connect(target: Path | str, timeout: float | None = None) -> sqlite3.Connection:
    """Open read-write, switch to WAL and migrate."""
    conn: sqlite3.Connection | None = None
    timeout = BUSY_TIMEOUT_S if timeout is None else timeout
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout sets SQLite's busy_timeout.
        conn = sqlite3.connect(target, timeout=timeout, isolation_level=None, check_same_thread=False)
        _enable_wal(conn, timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        _refuse_newer(conn, target)
        _migrate(conn)
        return conn
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


def _enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying for up to ``timeout`` seconds while another process holds the lock.

    When two processes create the file at once, both hold a shared lock and want an exclusive one; SQLite
    then fails one of them at once instead of calling the busy handler, so waiting is up to us.
    """
    deadline = time.monotonic() + timeout
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
        return _Locked(f"{target} is locked by another program (waited {BUSY_TIMEOUT_S:g} s)")
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


# -- checking rows --------------------------------------------------------------------------------------


def _text(value: object, problems: list[str], name: str) -> str | None:
    """``value`` if it is text (bytes that were not UTF-8 replaced by U+FFFD, noted in ``problems``), else
    ``None``."""
    if not isinstance(value, str):
        return None
    if not _utf8(value):
        problems.append(f"{name} is not valid UTF-8; shown with replacement characters")
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _date(value: object) -> datetime | None:
    """An aware datetime from ISO-8601 text (a time without an offset is taken as UTC), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def quoted(value: object, limit: int = 40) -> str:
    """A stored value as a warning shows it: quoted, control and invisible characters escaped, shortened."""
    if isinstance(value, bytes):
        text = f"<{len(value)} bytes>"
    elif value is None:
        text = "NULL"
    else:
        text = repr(value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")) \
            if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _now() -> datetime:
    return clock.now()


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


# -- writing an export file -----------------------------------------------------------------------------

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def write_file(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to the regular file ``path`` so that it ends up holding either all of it or,
    if anything fails, exactly what it held before; returns the file written.

    A new file gets the usual permissions (0666 less the umask); an existing one keeps its mode (and, where
    allowed, its owner). A symbolic link is followed to the regular file it points to, which is written;
    a link to nothing, a folder, a FIFO, a device or a socket is refused without touching it. The text goes
    to a temporary file beside the target, is flushed to disk (fsync), then renamed over the target.
    Raises :class:`ProgressError` with the message to show.
    """
    shown = str(path)
    if not shown:
        raise ProgressError("the output file name is empty")
    target = path
    try:
        if path.is_symlink():
            target = Path(os.path.realpath(path, strict=True))
        before: os.stat_result | None = target.lstat()
    except FileNotFoundError:
        if target is not path or path.is_symlink():
            raise ProgressError(f"{shown} is a symbolic link to a file that does not exist; nothing was "
                                "written") from None
        before = None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (realpath, strict)
        reason = getattr(exc, "strerror", None) or "a symbolic link loop"
        raise ProgressError(f"cannot write {shown}: {reason}") from exc
    if before is not None and not stat.S_ISREG(before.st_mode):
        kind = _KINDS.get(stat.S_IFMT(before.st_mode), "not a regular file")
        raise ProgressError(f"{shown} is {kind}; export writes only to a regular file, so nothing was written")
    data = text.encode("utf-8")
    tmp = None
    try:
        fd, tmp = _temp_beside(target, 0o666 if before is None else 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if before is not None:
            os.chmod(tmp, stat.S_IMODE(before.st_mode))
            if (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(tmp, before.st_uid, before.st_gid)
                except OSError:
                    pass  # only root may give a file away: the writer owns the new copy
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        kept = "it was left as it was" if before is not None else "no file was made"
        raise ProgressError(f"cannot write {shown}: {exc.strerror or exc}; {kept}") from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    _fsync_dir(target.parent)
    return target


def _temp_beside(target: Path, mode: int) -> tuple[int, str]:
    """A new, exclusively created temporary file in ``target``'s folder: (fd, path)."""
    for _ in range(100):
        name = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode), str(name)
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "could not make a temporary file")


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (best effort: not every platform or file system lets a folder be synced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
