"""The class folder: learner names and slugs, rosters, the class seed, and the gradebook's formats."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ce_tutor.classroom import (ClassError, class_seed, enter_learner, learner_dir, learner_dirs, learner_name,
                                learner_seed, name_problem, parse_roster, read_roster, slug)
from ce_tutor.classroom.report import COLUMNS, Gradebook, Row, csv_text, gradebook, json_text, table
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.progress import ProgressStore


@pytest.mark.parametrize(("name", "expected"), [
    ("Ada Lovelace", "ada-lovelace"),
    ("  ADA--lovelace!! ", "ada-lovelace"),
    ("Zoë Ünal", "zoë-ünal"),
    ("李雷", "李雷"),
    ("Ｆｕｌｌ ｗｉｄｔｈ", "full-width"),  # NFKC
    ("Straße", "strasse"),  # case folding
    ("O'Brien, Pat", "o-brien-pat"),
    ("../../etc/passwd", "etc-passwd"),
    ("...", ""),
    ("", ""),
])
def test_slugs(name: str, expected: str) -> None:
    assert slug(name) == expected


@given(st.text(max_size=80))
def test_a_slug_is_never_a_path_or_a_control_character(name: str) -> None:
    s = slug(name)
    assert s not in (".", "..") and "/" not in s and "\\" not in s and "\x00" not in s
    assert all(c.isalnum() or c == "-" for c in s) and not s.startswith("-") and not s.endswith("-")
    assert "--" not in s


@pytest.mark.parametrize(("name", "message"), [
    ("", "type your name"),
    ("   ", "type your name"),
    ("x" * 65, "too long"),
    ("a\x1bb", "control"),
    ("a\u200bb", "control"),  # zero-width space
    ("tab\there", "control"),
    ("..", "'..'"),
    ("../evil", "'..'"),
    ("a/b", "'/'"),
    ("a\\b", "'/'"),
    ("!!!", "letter or digit"),
])
def test_refused_names_say_why(name: str, message: str) -> None:
    problem = name_problem(name)
    assert problem is not None and message in problem


def test_fine_names() -> None:
    for name in ("Ada", "x" * 64, "  Zoë Ünal ", "李雷", "Jean-Luc Picard", "Ana 2"):
        assert name_problem(name) is None, name


def test_learner_dirs_stay_inside_the_class(tmp_path: Path) -> None:
    class_seed(tmp_path, create=True)
    path = enter_learner(tmp_path, "  Zoë   Ünal ")
    assert path == (tmp_path / "learners" / "zoë-ünal").resolve() and path.is_dir()
    assert learner_name(path) == "Zoë Ünal"
    assert enter_learner(tmp_path, "zoë ünal") == path  # the same learner comes back
    assert learner_name(path) == "Zoë Ünal"  # the first spelling stays
    with pytest.raises(ClassError, match="'..'"):
        learner_dir(tmp_path, "../../x")
    # A link planted in the learners folder does not lead a learner outside it.
    (tmp_path / "outside").mkdir()
    (tmp_path / "learners" / "mallory").symlink_to(tmp_path / "outside")
    with pytest.raises(ClassError, match="cannot be used"):
        enter_learner(tmp_path, "Mallory")
    assert [p.name for p in learner_dirs(tmp_path)] == ["zoë-ünal"]


def test_the_class_seed_is_made_once_and_kept(tmp_path: Path) -> None:
    with pytest.raises(ClassError, match="not a class folder"):
        class_seed(tmp_path)
    seed = class_seed(tmp_path, create=True)
    assert class_seed(tmp_path) == seed == class_seed(tmp_path, create=True)
    assert learner_seed(seed, "ada") == learner_seed(seed, "ada") != learner_seed(seed, "bob")
    assert 0 <= learner_seed(seed, "ada") < 2**63
    (tmp_path / "class.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ClassError, match="class.json"):
        class_seed(tmp_path)
    (tmp_path / "class.json").write_text(json.dumps({"format": "ce-tutor-class", "version": 9, "seed": 1}))
    with pytest.raises(ClassError, match="another version"):
        class_seed(tmp_path)


def test_roster_lines() -> None:
    roster = parse_roster("\ufeff# the class\n\nAda Lovelace, k7f2q9\nAlan Turing\tt0r1ng\nGrace  Hopper  gh1906\n")
    assert [(e.name, e.code) for e in roster.entries] == [
        ("Ada Lovelace", "k7f2q9"), ("Alan Turing", "t0r1ng"), ("Grace Hopper", "gh1906")]
    assert roster.find(" t0r1ng ").name == "Alan Turing"
    assert roster.find("t0r1n") is None and roster.find("") is None and roster.find("Ada Lovelace") is None


@pytest.mark.parametrize(("text", "message"), [
    ("", "no learners"),
    ("Ada\n", "roster:1: expected a name and a join code"),
    ("Ada, \n", "roster:1: expected"),
    ("Ada, a1\nada, b2\n", "roster:2: 'ada' is the same learner as line 1"),
    ("Ada, a1\nBob, a1\n", "roster:2: this join code is already used on line 1"),
    ("../x, a1\n", "roster:1: A name cannot contain"),
    ("Ada, " + "c" * 65 + "\n", "roster:1: a join code is at most"),
])
def test_bad_rosters_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ClassError) as caught:
        parse_roster(text)
    assert message in str(caught.value)


def test_unreadable_roster_files(tmp_path: Path) -> None:
    with pytest.raises(ClassError, match="cannot read"):
        read_roster(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes("Zoë, z1\n".encode("latin-1"))
    with pytest.raises(ClassError, match="not UTF-8"):
        read_roster(tmp_path / "latin1.txt")


# -- the gradebook -----------------------------------------------------------------------------------------
CATALOG = load_catalog([shipped_lessons_dir()])


def test_the_gradebook_counts_from_the_stores(tmp_path: Path) -> None:
    class_seed(tmp_path, create=True)
    with ProgressStore(enter_learner(tmp_path, "Ada")) as store:
        store.visit_step("softmax", 4, 12)
        store.record_attempt("softmax", "q1", 1, "0.5", "wrong")
        store.record_attempt("softmax", "q1", 1, "", "hint")
        store.record_attempt("softmax", "q1", 1, "0.33", "correct")
        store.record_attempt("softmax", "q2", 2, "0.1", "correct")
        store.record_attempt("softmax", "q3", 3, "", "revealed")
        store.complete_lesson("neg-log-p", 11)
        store.visit_step("retired-lesson", 0, 3)
    enter_learner(tmp_path, "Bob")  # signed in, did nothing yet
    book = gradebook(tmp_path, CATALOG)
    assert book.learners == 2 and book.problems == []
    ada = {r.lesson_id: r for r in book.rows if r.learner == "Ada"}
    assert list(ada) == [lf.lesson.id for lf in CATALOG.lessons] + ["retired-lesson"]
    softmax = ada["softmax"]
    assert (softmax.completed, softmax.steps_done, softmax.steps_total) == (False, 5, 12)
    assert (softmax.correct_first_try, softmax.attempts, softmax.hints_used) == (1, 3, 1)
    assert softmax.last_activity.endswith("Z") and softmax.last_activity[:4].isdigit()
    assert (ada["neg-log-p"].completed, ada["neg-log-p"].steps_done) == (True, 11)
    assert ada["retired-lesson"].lesson_title == "retired-lesson"
    bob = [r for r in book.rows if r.learner == "Bob"]
    assert len(bob) == len(CATALOG.lessons)
    assert all((r.steps_done, r.attempts, r.last_activity) == (0, 0, "") for r in bob)


def test_a_damaged_store_is_skipped_and_left_alone(tmp_path: Path) -> None:
    class_seed(tmp_path, create=True)
    bad = enter_learner(tmp_path, "Cy") / "progress.sqlite3"
    bad.write_bytes(b"\0garbage" * 500)
    newer = enter_learner(tmp_path, "Di") / "progress.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    book = gradebook(tmp_path, CATALOG)
    assert book.rows == [] and book.learners == 0
    assert len(book.problems) == 2
    assert "Cy" in book.problems[0] and "newer ce-tutor" in book.problems[1]
    assert bad.read_bytes() == b"\0garbage" * 500
    assert not list(bad.parent.glob("*.corrupt-*"))


def row(learner: str = "Ada", **kw: object) -> Row:
    values = dict(learner=learner, lesson_id="total-cross-entropy", lesson_title="Total CE", completed=True,
                  steps_done=12, steps_total=12, correct_first_try=3, attempts=14, hints_used=2,
                  last_activity="2026-12-02T04:10:00Z")
    values.update(kw)
    return Row(**values)  # type: ignore[arg-type]


def test_the_table_fits_80_columns_even_with_long_or_wide_names() -> None:
    book = Gradebook([row(), row("李雷" * 20), row("x" * 64, attempts=123456)], learners=3)
    text = table(book)
    from rich.cells import cell_len

    assert all(cell_len(line) <= 80 for line in text.splitlines())
    assert "2026-12-02 04:10" in text and "12/12" in text and "yes" in text
    assert "No learners yet." == table(Gradebook())


def test_csv_has_a_header_one_value_per_cell_and_no_formulas() -> None:
    book = Gradebook([row("Zoë, \"the\" Ünal"), row("=HYPERLINK(\"http://x\")")], learners=2)
    rows = list(csv.reader(io.StringIO(csv_text(book), newline="")))
    assert rows[0] == list(COLUMNS)
    assert rows[1][0] == "Zoë, \"the\" Ünal" and rows[1][3] == "yes" and rows[1][9] == "2026-12-02T04:10:00Z"
    assert rows[2][0] == "'=HYPERLINK(\"http://x\")"
    assert all(len(r) == len(COLUMNS) for r in rows)
    data = json.loads(json_text(book))
    assert data["rows"][0]["learner"] == "Zoë, \"the\" Ünal" and data["rows"][0]["completed"] is True
