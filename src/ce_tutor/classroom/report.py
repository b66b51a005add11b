"""The teacher's gradebook of a class folder: one row per learner and lesson.

Learner stores are opened read-only (``mode=ro``): a report never creates, migrates or moves a learner's
file, even a damaged one, which is reported in :attr:`Gradebook.problems` and skipped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ce_tutor.classroom import learner_dirs, learner_name

if TYPE_CHECKING:
    from ce_tutor.lessons.catalog import Catalog

#: Verdicts of rows in the attempts table that are not answers.
HINT = "hint"  # the same as ce_tutor.progress.HINT
REVEALED = "revealed"
CORRECT = "correct"
COLUMNS = ("learner", "lesson_id", "lesson_title", "completed", "steps_done", "steps_total",
           "correct_first_try", "attempts", "hints_used", "last_activity")


@dataclass(frozen=True)
class Row:
    learner: str
    lesson_id: str
    lesson_title: str
    completed: bool
    steps_done: int
    steps_total: int
    correct_first_try: int  # quizzes whose first answer was correct
    attempts: int  # answers graded (hints and revealed solutions are not answers)
    hints_used: int  # hints the learner asked for
    last_activity: str  # ISO 8601 (UTC), "" if never

    def cells(self) -> list[str]:
        values = asdict(self)
        values["completed"] = "yes" if self.completed else "no"
        return [str(values[name]) for name in COLUMNS]


@dataclass
class Gradebook:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    learners: int = 0


def gradebook(class_dir: Path, catalog: Catalog) -> Gradebook:
    """Every learner of ``class_dir`` (sorted by folder) times every lesson (curriculum order, then lessons
    a learner has progress in that the catalog lacks). Raises ClassError if the folder cannot be listed."""
    from ce_tutor.progress import FILE_NAME

    book = Gradebook()
    titles = {lf.lesson.id: lf.lesson.title for lf in catalog.lessons}
    sizes = {lf.lesson.id: len(lf.lesson.steps) for lf in catalog.lessons}
    if not class_dir.is_dir():
        from ce_tutor.classroom import ClassError

        raise ClassError(f"{class_dir}: no such class folder")
    for folder in learner_dirs(class_dir):
        name = learner_name(folder)
        try:
            lessons, attempts = _read_store(folder / FILE_NAME)
        except _Damaged as exc:
            book.problems.append(f"{name} ({folder / FILE_NAME}): {exc}")
            continue
        book.learners += 1
        ids = list(titles) + sorted(set(lessons) - set(titles))
        for lesson_id in ids:
            book.rows.append(_row(name, lesson_id, titles.get(lesson_id, lesson_id), sizes.get(lesson_id),
                                  lessons.get(lesson_id), attempts.get(lesson_id, [])))
    return book


class _Damaged(Exception):
    pass


def _read_store(path: Path) -> tuple[dict[str, sqlite3.Row], dict[str, list[sqlite3.Row]]]:
    """The lessons and attempts of one store, read-only; a missing store is an empty one."""
    from ce_tutor.progress import SCHEMA_VERSION

    if not path.exists():
        return {}, {}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise _Damaged(f"cannot be opened: {exc}") from None
    try:
        conn.row_factory = sqlite3.Row
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _Damaged(f"written by a newer ce-tutor (schema {version}); update ce-tutor to read it")
        lessons = {r["lesson_id"]: r for r in conn.execute(
            "SELECT lesson_id, furthest_step, n_steps, complete, last_visited FROM lessons")}
        attempts: dict[str, list[sqlite3.Row]] = {}
        for r in conn.execute("SELECT time, lesson_id, quiz_id, verdict FROM attempts ORDER BY id"):
            attempts.setdefault(r["lesson_id"], []).append(r)
        for r in lessons.values():
            _utc(r["last_visited"])  # a damaged value is a damaged store
        for rows in attempts.values():
            for r in rows:
                _utc(r["time"])
    except sqlite3.Error as exc:
        raise _Damaged(f"damaged or not a progress store ({exc})") from None
    except (TypeError, ValueError):
        raise _Damaged("damaged: a time in it cannot be read") from None
    finally:
        conn.close()
    return lessons, attempts


def _utc(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _row(name: str, lesson_id: str, title: str, size: int | None, lesson: sqlite3.Row | None,
         attempts: list[sqlite3.Row]) -> Row:
    total = size if size is not None else (int(lesson["n_steps"]) if lesson is not None else 0)
    complete = bool(lesson is not None and lesson["complete"])
    done = total if complete else (min(int(lesson["furthest_step"]) + 1, total) if lesson is not None else 0)
    answers = [a for a in attempts if a["verdict"] not in (HINT, REVEALED)]
    first: dict[str, str] = {}
    for a in attempts:
        if a["verdict"] != HINT:
            first.setdefault(a["quiz_id"], a["verdict"])
    times = [_utc(a["time"]) for a in attempts]
    if lesson is not None:
        times.append(_utc(lesson["last_visited"]))
    last = max(times).isoformat(timespec="seconds").replace("+00:00", "Z") if times else ""
    return Row(name, lesson_id, title, complete, done, total,
               sum(v == CORRECT for v in first.values()), len(answers),
               sum(a["verdict"] == HINT for a in attempts), last)


# -- output ------------------------------------------------------------------------------------------------
def _fit(text: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    text = "".join(c if c.isprintable() else "?" for c in text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


#: (header, width, right-aligned) of the table; with a space between columns, 80 columns wide.
_TABLE = (("learner", 15, False), ("lesson", 20, False), ("done", 4, False), ("steps", 5, True),
          ("1st", 3, True), ("tries", 5, True), ("hints", 5, True), ("last activity", 16, False))


def table(book: Gradebook) -> str:
    """The gradebook as a table of at most 80 columns, with a line saying what the columns mean."""
    def line(cells: Iterable[str]) -> str:
        out = []
        for cell, (_, width, right) in zip(cells, _TABLE):
            out.append(_fit(cell, width) if not right else cell.rjust(width)[-width:])
        return " ".join(out).rstrip()

    if not book.rows:
        return "No learners yet." if not book.problems else "No readable learner stores."
    lines = [line(h for h, _, _ in _TABLE), line("-" * w for _, w, _ in _TABLE)]
    for r in book.rows:
        last = r.last_activity.replace("T", " ")[:16] if r.last_activity else "-"
        lines.append(line([r.learner, r.lesson_id, "yes" if r.completed else "no",
                           f"{r.steps_done}/{r.steps_total}", str(r.correct_first_try), str(r.attempts),
                           str(r.hints_used), last]))
    lines.append("")
    lines.append(f"{book.learners} learner{'s' * (book.learners != 1)}. steps: steps reached; 1st: quizzes "
                 "right at the first answer;")
    lines.append("tries: answers given; hints: hints asked for; last activity in UTC.")
    return "\n".join(lines)


def csv_text(book: Gradebook) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in book.rows:
        writer.writerow([_inert(cell) for cell in r.cells()])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (a learner called '=HYPERLINK(...)')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def json_text(book: Gradebook) -> str:
    data = {"format": "ce-tutor-gradebook", "version": 1,
            "rows": [asdict(r) for r in book.rows], "skipped": book.problems}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(book: Gradebook, path: Path) -> None:
    """UTF-8 with a byte-order mark (so that spreadsheets read accents right), a header, CRLF rows."""
    _write(path, "\ufeff" + csv_text(book))


def write_json(book: Gradebook, path: Path) -> None:
    _write(path, json_text(book))
