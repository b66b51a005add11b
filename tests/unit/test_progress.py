"""Unit tests for the progress store: round trips, migrations, recovery from damage, fallbacks."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import platformdirs
import pytest

from ce_tutor import progress
from ce_tutor.progress import (
    FILE_NAME,
    SCHEMA_VERSION,
    Attempt,
    LessonProgress,
    ProgressError,
    ProgressStore,
    QuizStats,
    default_data_dir,
)


@pytest.fixture(autouse=True)
def _no_real_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Any test that falls through to the default location lands in tmp_path, never in the real home."""
    monkeypatch.setenv("CE_TUTOR_HOME", str(tmp_path / "default-home"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProgressStore]:
    with ProgressStore(tmp_path) as s:
        yield s


def sql(path: Path, query: str) -> list[tuple]:
    """Run one query on a database file with a plain connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def corrupt_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if ".corrupt-" in p.name)


def make_real_db(directory: Path) -> bytes:
    """A real, multi-page progress file; returns its bytes."""
    with ProgressStore(directory) as s:
        for i in range(100):
            s.record_attempt("lesson", f"q{i}", i, "x" * 200, "wrong")
    return (directory / FILE_NAME).read_bytes()


def wal_db_with_pending_log(directory: Path, user_version: int) -> None:
    """A progress file in ``directory`` whose latest writes are only in its -wal file, as after a crash."""
    live = directory.parent / f"{directory.name}-live"
    make_real_db(live)
    directory.mkdir(exist_ok=True)
    conn = sqlite3.connect(live / FILE_NAME, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.executemany(
            "INSERT INTO attempts (time, lesson_id, quiz_id, seed, answer, verdict) VALUES (?, ?, ?, ?, ?, ?)",
            [("2026-01-01T00:00:00.000000+00:00", "later", "q", i, "only in the log" * 20, "wrong") for i in range(50)],
        )
        conn.execute(f"PRAGMA user_version = {user_version}")
        for suffix in ("", "-wal"):
            (directory / f"{FILE_NAME}{suffix}").write_bytes((live / f"{FILE_NAME}{suffix}").read_bytes())
    finally:
        conn.close()
    assert (directory / f"{FILE_NAME}-wal").stat().st_size > 0


# -- default_data_dir --------------------------------------------------------------------------


def test_explicit_dir_beats_environment(tmp_path: Path) -> None:
    assert default_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_environment_beats_platform_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CE_TUTOR_HOME", str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"


@pytest.mark.parametrize("value", [None, ""])
def test_platform_dir_when_environment_unset_or_empty(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CE_TUTOR_HOME")
    else:
        monkeypatch.setenv("CE_TUTOR_HOME", value)
    assert default_data_dir() == Path(platformdirs.user_data_dir("ce-tutor"))


def test_store_honours_ce_tutor_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "from-env" / "nested"
    monkeypatch.setenv("CE_TUTOR_HOME", str(home))
    with ProgressStore() as s:
        s.visit_step("intro", 0, 3)
        assert s.path == home / FILE_NAME
    assert sql(home / FILE_NAME, "SELECT lesson_id FROM lessons") == [("intro",)]


# -- a fresh store ------------------------------------------------------------------------------


def test_fresh_store_is_wal_at_current_schema(store: ProgressStore, tmp_path: Path) -> None:
    assert store.path == tmp_path / FILE_NAME
    assert store.warnings == []
    assert sql(store.path, "PRAGMA journal_mode") == [("wal",)]
    assert sql(store.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert store.lessons() == {}
    assert store.attempts() == []
    assert store.last_lesson() is None


def test_learner_seed_is_63_bit_and_persisted(tmp_path: Path) -> None:
    with ProgressStore(tmp_path / "a") as a:
        seed = a.learner_seed
    assert isinstance(seed, int) and 0 <= seed < 2**63
    with ProgressStore(tmp_path / "a") as again:
        assert again.learner_seed == seed
    with ProgressStore(tmp_path / "b") as other:
        assert other.learner_seed != seed


# -- lessons ------------------------------------------------------------------------------------


def test_unknown_lesson_is_a_never_visited_default(store: ProgressStore) -> None:
    assert store.lesson("nope") == LessonProgress("nope", 0, 0, 0, False, None)
    assert store.lesson("nope").percent == 0


def test_current_step_follows_the_learner_furthest_step_only_grows(store: ProgressStore) -> None:
    for step in (0, 1, 3, 1):
        store.visit_step("softmax", step, 5)
    p = store.lesson("softmax")
    assert (p.current_step, p.furthest_step, p.n_steps, p.complete) == (1, 3, 5, False)


def test_last_visited_is_an_aware_utc_time(store: ProgressStore) -> None:
    store.visit_step("softmax", 0, 2)
    visited = store.lesson("softmax").last_visited
    assert visited is not None and visited.utcoffset() == timedelta(0)


def test_progress_survives_reopening(tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        s.visit_step("softmax", 2, 4)
        s.visit_step("softmax", 1, 4)
        s.complete_lesson("intro", 3)
        s.record_attempt("softmax", "q1", 42, "0.25", "close")
        lessons, attempts = s.lessons(), s.attempts()
    with ProgressStore(tmp_path) as s:
        assert s.lessons() == lessons
        assert s.attempts() == attempts
        assert s.lesson("softmax").current_step == 1
        assert s.lesson("softmax").furthest_step == 2


@pytest.mark.parametrize(
    ("furthest", "n_steps", "percent"),
    [(0, 1, 100), (0, 3, 33), (1, 3, 66), (2, 4, 75), (0, 4, 25), (4, 5, 100)],
)
def test_percent_is_steps_reached_floored(store: ProgressStore, furthest: int, n_steps: int, percent: int) -> None:
    store.visit_step("l", furthest, n_steps)
    store.visit_step("l", 0, n_steps)
    assert store.lesson("l").percent == percent


def test_complete_lesson_is_100_percent_and_sticky(store: ProgressStore) -> None:
    store.visit_step("l", 2, 6)
    store.complete_lesson("l", 6)
    p = store.lesson("l")
    assert (p.complete, p.percent, p.furthest_step, p.current_step) == (True, 100, 5, 2)
    store.visit_step("l", 0, 6)
    assert store.lesson("l").complete
    assert store.lesson("l").percent == 100


def test_completing_an_unvisited_lesson_resumes_at_the_start(store: ProgressStore) -> None:
    store.complete_lesson("l", 4)
    p = store.lesson("l")
    assert (p.current_step, p.furthest_step, p.n_steps, p.complete) == (0, 3, 4, True)
    assert p.last_visited is not None


def test_a_shrunk_lesson_keeps_steps_in_range(store: ProgressStore) -> None:
    store.visit_step("l", 7, 8)
    store.visit_step("l", 1, 3)
    p = store.lesson("l")
    assert (p.current_step, p.furthest_step, p.n_steps, p.percent) == (1, 2, 3, 100)


def test_last_lesson_is_the_most_recent_incomplete_one(store: ProgressStore) -> None:
    store.visit_step("a", 0, 3)
    store.visit_step("b", 1, 3)
    last = store.last_lesson()
    assert last is not None and last.lesson_id == "b"
    store.visit_step("a", 2, 3)
    last = store.last_lesson()
    assert last is not None and (last.lesson_id, last.current_step) == ("a", 2)
    store.complete_lesson("a", 3)
    last = store.last_lesson()
    assert last is not None and last.lesson_id == "b"
    store.complete_lesson("b", 3)
    assert store.last_lesson() is None


def test_lessons_lists_every_visited_lesson(store: ProgressStore) -> None:
    store.visit_step("b", 0, 2)
    store.visit_step("a", 1, 2)
    assert list(store.lessons()) == ["a", "b"]
    assert store.lessons()["a"] == store.lesson("a")


@pytest.mark.parametrize(
    ("lesson_id", "step", "n_steps"),
    [("", 0, 1), (None, 0, 1), ("l", 3, 3), ("l", -1, 3), ("l", 0, 0), ("l", True, 3), ("l", 1.0, 3)],
)
def test_visit_step_rejects_bad_arguments(store: ProgressStore, lesson_id, step, n_steps) -> None:
    with pytest.raises(ValueError):
        store.visit_step(lesson_id, step, n_steps)
    assert store.lessons() == {}


# -- quizzes ------------------------------------------------------------------------------------


def test_attempts_round_trip_in_order_and_filter(store: ProgressStore) -> None:
    store.record_attempt("a", "q1", 1, "0.5", "correct")
    store.record_attempt("a", "q2", 2, "", "revealed")
    store.record_attempt("b", "q1", 2**63 - 1, "ln 2 ≈ 0.69", "misconception")
    store.record_attempt("a", "q1", -5, "0.4", "some-new-verdict")
    got = store.attempts()
    assert [(a.lesson_id, a.quiz_id, a.seed, a.answer, a.verdict) for a in got] == [
        ("a", "q1", 1, "0.5", "correct"),
        ("a", "q2", 2, "", "revealed"),
        ("b", "q1", 2**63 - 1, "ln 2 ≈ 0.69", "misconception"),
        ("a", "q1", -5, "0.4", "some-new-verdict"),
    ]
    assert all(isinstance(a, Attempt) and a.time.utcoffset() == timedelta(0) for a in got)
    assert [a.seed for a in store.attempts(lesson_id="a")] == [1, 2, -5]
    assert [a.seed for a in store.attempts(quiz_id="q1")] == [1, 2**63 - 1, -5]
    assert [a.seed for a in store.attempts("a", "q1")] == [1, -5]
    assert store.attempts("zzz") == []


def test_quiz_stats_count_attempts_and_correct_verdicts(store: ProgressStore) -> None:
    for lesson, quiz, verdict in [
        ("b", "q1", "wrong"),
        ("a", "q2", "correct"),
        ("a", "q1", "close"),
        ("a", "q1", "correct"),
        ("a", "q1", "Correct"),
        ("a", "q1", "correct"),
    ]:
        store.record_attempt(lesson, quiz, 0, "x", verdict)
    assert store.quiz_stats() == [
        QuizStats("a", "q1", 4, 2),
        QuizStats("a", "q2", 1, 1),
        QuizStats("b", "q1", 1, 0),
    ]
    assert store.quiz_stats("b") == [QuizStats("b", "q1", 1, 0)]
    assert store.quiz_stats("zzz") == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": 2**63},
        {"seed": -(2**63) - 1},
        {"seed": "7"},
        {"seed": True},
        {"answer": None},
        {"verdict": 3},
        {"lesson_id": ""},
        {"quiz_id": ""},
    ],
)
def test_record_attempt_rejects_bad_arguments(store: ProgressStore, kwargs: dict) -> None:
    args = {"lesson_id": "l", "quiz_id": "q", "seed": 1, "answer": "a", "verdict": "correct"} | kwargs
    with pytest.raises(ValueError):
        store.record_attempt(**args)
    assert store.attempts() == []


# -- reset and export ---------------------------------------------------------------------------


def fill(store: ProgressStore) -> None:
    store.visit_step("a", 1, 3)
    store.visit_step("b", 0, 3)
    store.record_attempt("a", "q1", 1, "x", "wrong")
    store.record_attempt("a", "q1", 2, "y", "correct")
    store.record_attempt("b", "q1", 3, "z", "correct")


def test_reset_one_lesson(tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        fill(s)
        seed = s.learner_seed
        assert s.reset("a") == 3
        assert list(s.lessons()) == ["b"]
        assert [a.lesson_id for a in s.attempts()] == ["b"]
        assert s.reset("a") == 0
    with ProgressStore(tmp_path) as s:
        assert s.learner_seed == seed
        assert list(s.lessons()) == ["b"]


def test_reset_all_keeps_the_learner_seed(tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        fill(s)
        seed = s.learner_seed
        assert s.reset() == 5
        assert s.lessons() == {} and s.attempts() == [] and s.last_lesson() is None
    with ProgressStore(tmp_path) as s:
        assert s.learner_seed == seed
        assert s.lessons() == {}


def test_export_shape(store: ProgressStore) -> None:
    fill(store)
    store.complete_lesson("b", 3)
    data = store.export()
    assert list(data) == [
        "format", "version", "exported_at", "learner_seed", "lessons", "attempts", "review_cards", "review_log"
    ]
    assert (data["format"], data["version"], data["learner_seed"]) == ("ce-tutor-progress", 1, store.learner_seed)
    assert datetime.fromisoformat(data["exported_at"]).utcoffset() == timedelta(0)
    assert data["lessons"][0] == {
        "lesson_id": "a",
        "current_step": 1,
        "furthest_step": 1,
        "n_steps": 3,
        "complete": False,
        "last_visited": store.lesson("a").last_visited.isoformat(),
    }
    assert [(x["lesson_id"], x["complete"]) for x in data["lessons"]] == [("a", False), ("b", True)]
    assert [list(x) for x in data["attempts"]] == [["time", "lesson_id", "quiz_id", "seed", "answer", "verdict"]] * 3
    assert [(x["seed"], x["answer"], x["verdict"]) for x in data["attempts"]] == [
        (1, "x", "wrong"),
        (2, "y", "correct"),
        (3, "z", "correct"),
    ]
    for entry in [*data["lessons"], *data["attempts"]]:
        stamp = entry.get("time") or entry["last_visited"]
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
    assert json.loads(json.dumps(data)) == data


# -- schema versions and migrations -------------------------------------------------------------


def test_a_version_0_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("INSERT INTO scratch VALUES (1)")
    conn.commit()
    conn.close()
    assert sql(path, "PRAGMA user_version") == [(0,)]
    with ProgressStore(tmp_path) as s:
        assert s.warnings == []
        s.visit_step("a", 0, 2)
        s.record_attempt("a", "q", 1, "x", "correct")
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sql(path, "SELECT x FROM scratch") == [(1,)]
    assert len(sql(path, "SELECT * FROM attempts")) == 1


def test_empty_file_is_a_new_database(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"")
    with ProgressStore(tmp_path) as s:
        assert s.warnings == []
        s.visit_step("a", 0, 2)
    assert corrupt_files(tmp_path) == []
    assert sql(tmp_path / FILE_NAME, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_crash_left_rollback_journal_is_rolled_back_not_treated_as_damage(tmp_path: Path) -> None:
    live, crashed = tmp_path / "live", tmp_path / "crashed"
    live.mkdir()
    crashed.mkdir()
    conn = sqlite3.connect(live / FILE_NAME, isolation_level=None)
    try:
        conn.execute("CREATE TABLE scratch (x)")
        conn.execute("INSERT INTO scratch VALUES ('committed')")
        conn.execute("PRAGMA cache_size = 1")  # spill the open transaction into the file
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO scratch VALUES (?)", [("uncommitted" * 30,)] * 500)
        for suffix in ("", "-journal"):  # a copy taken now looks like a crash mid-transaction
            (crashed / f"{FILE_NAME}{suffix}").write_bytes((live / f"{FILE_NAME}{suffix}").read_bytes())
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    with ProgressStore(crashed) as s:
        assert s.warnings == [] and s.path == crashed / FILE_NAME
        s.visit_step("a", 0, 2)
    assert sql(crashed / FILE_NAME, "SELECT x FROM scratch") == [("committed",)]
    assert corrupt_files(crashed) == []


def test_pending_migrations_run_in_order_and_keep_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        s.record_attempt("a", "q", 1, "x", "correct")
    newer = (
        *progress.MIGRATIONS,
        ("ALTER TABLE attempts ADD COLUMN note TEXT NOT NULL DEFAULT ''", "UPDATE attempts SET note = 'v2'"),
        ("UPDATE attempts SET note = note || '+v3'",),
    )
    monkeypatch.setattr(progress, "MIGRATIONS", newer)
    monkeypatch.setattr(progress, "SCHEMA_VERSION", len(newer))
    with ProgressStore(tmp_path) as s:
        assert [a.answer for a in s.attempts()] == ["x"]
        s.record_attempt("a", "q", 2, "y", "wrong")
    path = tmp_path / FILE_NAME
    assert sql(path, "PRAGMA user_version") == [(len(newer),)]
    assert sql(path, "SELECT answer, note FROM attempts ORDER BY id") == [("x", "v2+v3"), ("y", "")]


def test_a_failing_migration_is_rolled_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        s.record_attempt("a", "q", 1, "x", "correct")
    path = tmp_path / FILE_NAME
    broken = (*progress.MIGRATIONS, ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(progress, "MIGRATIONS", broken)
    monkeypatch.setattr(progress, "SCHEMA_VERSION", len(broken))
    with pytest.raises(ProgressError, match=str(path)):
        ProgressStore(tmp_path)
    assert sql(path, "PRAGMA user_version") == [(len(broken) - 1,)]
    assert sql(path, "SELECT name FROM sqlite_master WHERE name = 'half_done'") == []
    assert sql(path, "SELECT answer FROM attempts") == [("x",)]
    assert corrupt_files(tmp_path) == []


def test_a_newer_wal_database_is_refused_without_checkpointing(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    wal_db_with_pending_log(directory, SCHEMA_VERSION + 1)
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(ProgressError, match="newer ce-tutor"):
        ProgressStore(directory)
    after = {p.name: p.read_bytes() for p in directory.iterdir() if not p.name.endswith("-shm")}
    assert after == before


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("INSERT INTO future VALUES ('precious')")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ProgressError) as info:
        ProgressStore(tmp_path)
    message = str(info.value)
    assert str(path) in message
    assert "newer ce-tutor" in message and f"schema {SCHEMA_VERSION + 7}" in message
    assert "--data-dir" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]


# -- damaged files ------------------------------------------------------------------------------


def assert_moved_aside(store: ProgressStore, directory: Path, original: bytes) -> Path:
    """The damaged bytes sit in exactly one .corrupt- file, a warning names it, and the fresh store works."""
    moved = [p for p in corrupt_files(directory) if not p.name.endswith(("-wal", "-shm"))]
    assert len(moved) == 1
    assert moved[0].name.startswith(f"{FILE_NAME}.corrupt-")
    if moved[0].is_file():
        assert moved[0].read_bytes() == original
    assert len(store.warnings) == 1
    assert str(moved[0]) in store.warnings[0] and "unreadable" in store.warnings[0]
    assert store.path == directory / FILE_NAME
    store.visit_step("a", 1, 2)
    store.record_attempt("a", "q", 1, "x", "correct")
    assert store.lesson("a").furthest_step == 1 and len(store.attempts()) == 1
    assert sql(directory / FILE_NAME, "PRAGMA integrity_check") == [("ok",)]
    return moved[0]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 40, id="garbage"),
        pytest.param(b'{"lessons": []}\n', id="json-text"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 200, id="bad-header"),
    ],
)
def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(content)
    with ProgressStore(tmp_path) as s:
        assert_moved_aside(s, tmp_path, content)


def test_a_truncated_database_is_moved_aside(tmp_path: Path) -> None:
    original = make_real_db(tmp_path)
    truncated = original[: len(original) // 2]
    (tmp_path / FILE_NAME).write_bytes(truncated)
    with ProgressStore(tmp_path) as s:
        assert_moved_aside(s, tmp_path, truncated)


def test_a_database_failing_quick_check_is_moved_aside(tmp_path: Path) -> None:
    damaged = bytearray(make_real_db(tmp_path))
    page = sql(tmp_path / FILE_NAME, "PRAGMA page_size")[0][0]
    damaged[3 * page : 3 * page + 64] = b"\xa5" * 64
    (tmp_path / FILE_NAME).write_bytes(bytes(damaged))
    with ProgressStore(tmp_path) as s:
        assert_moved_aside(s, tmp_path, bytes(damaged))


def test_a_directory_in_place_of_the_file_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).mkdir()
    (tmp_path / FILE_NAME / "keep.txt").write_text("mine")
    with ProgressStore(tmp_path) as s:
        moved = assert_moved_aside(s, tmp_path, b"")
    assert (moved / "keep.txt").read_text() == "mine"


def test_wal_and_shm_siblings_move_with_the_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all")
    (tmp_path / f"{FILE_NAME}-wal").write_bytes(b"old wal")
    (tmp_path / f"{FILE_NAME}-shm").write_bytes(b"old shm")
    with ProgressStore(tmp_path) as s:
        moved = assert_moved_aside(s, tmp_path, b"not a database at all")
        assert f"{moved}-wal" in s.warnings[0]
    assert Path(f"{moved}-wal").read_bytes() == b"old wal"
    assert Path(f"{moved}-shm").exists()  # only an index SQLite rebuilds from the WAL: its bytes may change


def test_a_damaged_wal_database_is_moved_aside_with_its_log_unapplied(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    wal_db_with_pending_log(directory, SCHEMA_VERSION)
    main = directory / FILE_NAME
    damaged = bytearray(main.read_bytes())
    page = int.from_bytes(damaged[16:18], "big")
    damaged[3 * page : 4 * page] = b"\x5a" * page  # an early leaf, which the later writes do not touch
    main.write_bytes(bytes(damaged))
    wal = (directory / f"{FILE_NAME}-wal").read_bytes()
    with ProgressStore(directory) as s:
        moved = assert_moved_aside(s, directory, bytes(damaged))
    assert Path(f"{moved}-wal").read_bytes() == wal


def test_an_empty_file_with_a_nonempty_log_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"")
    (tmp_path / f"{FILE_NAME}-wal").write_bytes(b"a log SQLite would delete" * 50)
    with ProgressStore(tmp_path) as s:
        moved = assert_moved_aside(s, tmp_path, b"")
    assert Path(f"{moved}-wal").read_bytes() == b"a log SQLite would delete" * 50


def test_repeated_damage_never_overwrites_an_earlier_copy(tmp_path: Path) -> None:
    contents = [b"first broken file" * 10, b"second broken file" * 10, b"third broken file" * 10]
    for content in contents:
        (tmp_path / FILE_NAME).unlink(missing_ok=True)
        for sibling in tmp_path.glob(f"{FILE_NAME}-*"):
            sibling.unlink()
        (tmp_path / FILE_NAME).write_bytes(content)
        with ProgressStore(tmp_path) as s:
            assert len(s.warnings) == 1
    assert sorted(p.read_bytes() for p in corrupt_files(tmp_path)) == sorted(contents)


# -- nowhere to write ---------------------------------------------------------------------------


def assert_in_memory(store: ProgressStore) -> None:
    assert store.path is None
    assert len(store.warnings) == 1 and "will not be saved" in store.warnings[0]
    assert 0 <= store.learner_seed < 2**63
    store.visit_step("a", 1, 3)
    store.record_attempt("a", "q", 1, "x", "correct")
    assert store.lesson("a").furthest_step == 1
    assert store.quiz_stats() == [QuizStats("a", "q", 1, 1)]


def test_parent_is_a_file_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    with ProgressStore(blocker / "data") as s:
        assert_in_memory(s)
        assert str(blocker / "data") in s.warnings[0]
    assert blocker.read_text() == "a file, not a directory"


def test_data_dir_is_a_file_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    with ProgressStore(blocker) as s:
        assert_in_memory(s)
    assert blocker.read_text() == "a file, not a directory"


def test_read_only_directory_falls_back_to_memory(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("permissions are not enforced for this user (root?)")
        with ProgressStore(directory) as s:
            assert_in_memory(s)
        assert list(directory.iterdir()) == []
    finally:
        directory.chmod(stat.S_IRWXU)


# -- locking ------------------------------------------------------------------------------------


def test_a_lock_held_too_long_is_a_progress_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(progress, "BUSY_TIMEOUT_S", 0.05)
    with ProgressStore(tmp_path) as s:
        s.record_attempt("a", "q", 1, "before", "correct")
        other = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(ProgressError, match="locked") as info:
                s.record_attempt("a", "q", 2, "during", "correct")
            assert str(tmp_path / FILE_NAME) in str(info.value)
            with pytest.raises(ProgressError, match="locked"):
                ProgressStore(tmp_path)
            assert [a.answer for a in s.attempts()] == ["before"]
            other.execute("ROLLBACK")
        finally:
            other.close()
        s.record_attempt("a", "q", 3, "after", "correct")
        assert [a.answer for a in s.attempts()] == ["before", "after"]


def test_close_ends_the_store(tmp_path: Path) -> None:
    s = ProgressStore(tmp_path)
    s.close()
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.lessons()
