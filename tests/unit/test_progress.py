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


def test_close_ends_the_store(tmp_path: Path) -> None:
    s = ProgressStore(tmp_path)
    s.close()
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.lessons()


# -- faults during a session: writes are kept, said once, and saved when the fault clears -------------------


def good_rows(directory: Path) -> dict:
    """What a fresh store sees in ``directory``: the export without its time stamp."""
    with ProgressStore(directory) as s:
        data = s.export()
    del data["exported_at"]
    return data


def answers(store: ProgressStore) -> list[str]:
    return [a.answer for a in store.attempts()]


@pytest.fixture
def lock_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A held lock makes a write give up after 50 ms instead of 5 s."""
    monkeypatch.setattr(progress, "BUSY_TIMEOUT_S", 0.05)
    monkeypatch.setattr(progress, "RETRY_TIMEOUT_S", 0.01)


def hold_lock(path: Path) -> sqlite3.Connection:
    """Another program holding the write lock of the progress file."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_lock_held_mid_session_keeps_every_write_says_so_once_and_saves_later(lock_briefly, tmp_path: Path) -> None:
    heard: list[str | None] = []
    with ProgressStore(tmp_path) as s:
        s.on_saving_change = heard.append
        s.record_attempt("a", "q", 1, "before", "correct")
        other = hold_lock(tmp_path / FILE_NAME)
        try:
            s.record_attempt("a", "q", 2, "during", "wrong")
            s.visit_step("a", 2, 3)
            s.record_attempt("a", "q", 3, "during 2", "correct")
            assert s.unsaved == 3
            assert len(heard) == 1 and "not being saved" in heard[0] and "locked" in heard[0]
            assert str(tmp_path / FILE_NAME) in heard[0]
            assert s.not_saving == heard[0]
            assert answers(s) == ["before"]  # what was saved stays readable
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.complete_lesson("b", 2)  # the store works again: everything waiting goes first, in order
        assert heard[1:] == [None] and s.not_saving is None and s.unsaved == 0
        assert answers(s) == ["before", "during", "during 2"]
    saved = good_rows(tmp_path)
    assert [a["answer"] for a in saved["attempts"]] == ["before", "during", "during 2"]
    assert [(x["lesson_id"], x["current_step"], x["complete"]) for x in saved["lessons"]] == [
        ("a", 2, False), ("b", 0, True)]


def test_writes_waiting_when_the_session_ends_are_saved_by_close(lock_briefly, tmp_path: Path) -> None:
    s = ProgressStore(tmp_path)
    other = hold_lock(tmp_path / FILE_NAME)
    s.record_attempt("a", "q", 1, "while locked", "correct")
    other.execute("ROLLBACK")
    other.close()
    s.close()
    assert [a["answer"] for a in good_rows(tmp_path)["attempts"]] == ["while locked"]


def test_writes_that_cannot_be_saved_by_the_end_are_reported_with_their_number(lock_briefly, tmp_path: Path) -> None:
    heard: list[str | None] = []
    s = ProgressStore(tmp_path)
    s.on_saving_change = heard.append
    s.record_attempt("a", "q", 1, "kept", "correct")
    other = hold_lock(tmp_path / FILE_NAME)
    try:
        s.record_attempt("a", "q", 2, "lost", "correct")
        s.visit_step("a", 0, 2)
        s.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(heard) == 2 and heard[1].startswith("2 changes made this session could not be saved")
    assert [a["answer"] for a in good_rows(tmp_path)["attempts"]] == ["kept"]


def test_a_full_disk_mid_session_keeps_every_write_and_saves_it_when_space_returns(tmp_path: Path) -> None:
    heard: list[str | None] = []
    with ProgressStore(tmp_path) as s:
        s.on_saving_change = heard.append
        s.visit_step("a", 0, 3)
        pages = s._conn.execute("PRAGMA page_count").fetchone()[0]
        s._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        for i in range(30):
            s.record_attempt("a", "q", i, "x" * 500, "wrong")
        s.visit_step("a", 1, 3)
        assert len(heard) == 1 and "full" in heard[0]
        assert s.unsaved > 0
        assert s.lesson("a").current_step == 0 and len(s.attempts()) < 30
        s._conn.execute("PRAGMA max_page_count = 1000000")
        assert s.retry() and s.unsaved == 0 and heard[1:] == [None]
    saved = good_rows(tmp_path)
    assert [a["seed"] for a in saved["attempts"]] == list(range(30))
    assert saved["lessons"][0]["current_step"] == 1


def test_reset_is_never_queued_it_fails_and_changes_nothing(lock_briefly, tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        s.record_attempt("a", "q", 1, "kept", "correct")
        other = hold_lock(tmp_path / FILE_NAME)
        try:
            with pytest.raises(ProgressError, match="locked"):
                s.reset()
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answers(s) == ["kept"]


def test_a_lock_held_at_start_opens_read_only_shows_progress_and_saves_once_released(
    lock_briefly, tmp_path: Path
) -> None:
    with ProgressStore(tmp_path) as s:
        s.visit_step("a", 1, 3)
        s.record_attempt("a", "q", 1, "before", "correct")
    other = hold_lock(tmp_path / FILE_NAME)
    try:
        s = ProgressStore(tmp_path)
        assert s.read_only and s.path == tmp_path / FILE_NAME
        assert len(s.warnings) == 1 and "locked" in s.warnings[0] and "not being saved" in s.warnings[0]
        assert s.lesson("a").current_step == 1 and answers(s) == ["before"]
        heard: list[str | None] = []
        s.on_saving_change = heard.append
        s.record_attempt("a", "q", 2, "during", "correct")
        assert heard == [] and s.unsaved == 1  # said once already, in the warnings
    finally:
        other.execute("ROLLBACK")
        other.close()
    s.record_attempt("a", "q", 3, "after", "correct")
    assert not s.read_only and heard == [None] and answers(s) == ["before", "during", "after"]
    s.close()
    assert [a["answer"] for a in good_rows(tmp_path)["attempts"]] == ["before", "during", "after"]


# -- a progress file that cannot be written ------------------------------------------------------------------


def test_a_read_only_file_shows_and_exports_its_progress_and_saves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with ProgressStore(tmp_path) as s:
        s.visit_step("a", 2, 4)
        s.complete_lesson("b", 3)
        s.record_attempt("a", "q", 7, "0.5", "correct")
        seed = s.learner_seed
    before = good_rows(tmp_path)
    file = (tmp_path / FILE_NAME).read_bytes()
    monkeypatch.setattr(progress, "_can_write", lambda path: False)  # as if the folder were read-only
    with ProgressStore(tmp_path) as s:
        assert s.read_only and s.learner_seed == seed
        assert len(s.warnings) == 1
        assert "read-only" in s.warnings[0] and "nothing new will be saved" in s.warnings[0]
        assert s.not_saving == s.warnings[0]
        assert s.lesson("a").current_step == 2 and s.lessons()["b"].complete
        assert s.last_lesson() == s.lesson("a")
        exported = s.export()
        del exported["exported_at"]
        assert exported == before
        s.visit_step("a", 3, 4)  # kept for the session, never written
        s.record_attempt("a", "q", 8, "new", "wrong")
        assert s.unsaved == 2
        with pytest.raises(ProgressError, match="nothing was reset"):
            s.reset()
    assert (tmp_path / FILE_NAME).read_bytes() == file
    wal = tmp_path / f"{FILE_NAME}-wal"  # SQLite may make an empty one where the folder lets it
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_read_only_folder_without_a_file_runs_in_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(progress, "_can_write", lambda path: False)
    with ProgressStore(tmp_path) as s:
        assert_in_memory(s)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_wal_file_in_a_read_only_folder_is_read_as_immutable(tmp_path: Path) -> None:
    """SQLite cannot open a WAL file with mode=ro where it cannot make its -shm index; immutable works."""
    with ProgressStore(tmp_path) as s:
        s.record_attempt("a", "q", 1, "x", "correct")
    conn = progress._connect_read_only(tmp_path / FILE_NAME)
    assert conn is not None
    try:
        assert conn.execute("SELECT answer FROM attempts").fetchall()[0][0] == "x"
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("DELETE FROM attempts")
    finally:
        conn.close()


# -- damaged rows -----------------------------------------------------------------------------------------------


def damaged_store(directory: Path) -> None:
    """A progress file with good rows and hand-edited bad ones (what each test then expects is below)."""
    with ProgressStore(directory) as s:
        s.visit_step("good", 1, 3)
        s.visit_step("bad-date", 2, 5)
        s.visit_step("bad-steps", 0, 4)
        s.visit_step("text-step", 1, 4)
        s.visit_step("bad-utf8", 0, 2)
        for i in range(6):
            s.record_attempt("good", "q", i, f"answer {i}", "correct" if i % 2 else "wrong")
    conn = sqlite3.connect(directory / FILE_NAME, isolation_level=None)
    try:
        conn.execute("UPDATE lessons SET last_visited = 'yesterday\x1b[2J' WHERE lesson_id = 'bad-date'")
        conn.execute("UPDATE lessons SET n_steps = 'many' WHERE lesson_id = 'bad-steps'")
        conn.execute("UPDATE lessons SET current_step = 'two', visit_seq = 'x' WHERE lesson_id = 'text-step'")
        conn.execute("UPDATE lessons SET lesson_id = CAST(x'6261642dff' AS TEXT) WHERE lesson_id = 'bad-utf8'")
        conn.execute("UPDATE attempts SET time = '2026-13-45' WHERE seed = 1")
        conn.execute("UPDATE attempts SET seed = 'abc' WHERE seed = 2")
        conn.execute("UPDATE attempts SET answer = x'00ff' WHERE seed = 3")
        conn.execute("INSERT INTO attempts (time, lesson_id, quiz_id, seed, answer, verdict)"
                     " VALUES ('2026-01-01T00:00:00+00:00', 'no-such-lesson', 'q', 9, '1', 'correct')")
    finally:
        conn.close()


def test_damaged_rows_are_repaired_or_skipped_and_named_and_the_good_data_all_reads(tmp_path: Path) -> None:
    damaged_store(tmp_path)
    before = (tmp_path / FILE_NAME).read_bytes()
    with ProgressStore(tmp_path) as s:
        text = "\n".join(s.warnings)
        assert "table lessons, row 2" in text and "'yesterday\\x1b[2J' is not a date" in text
        assert "\x1b" not in text
        assert "table lessons, row 3" in text and "n_steps 'many'" in text and "row skipped" in text
        assert "table lessons, row 4" in text and "current_step 'two'" in text
        assert "table lessons, row 5" in text and "not valid UTF-8" in text
        assert "table attempts, row 2" in text and "'2026-13-45' is not a date" in text
        assert "table attempts, row 3" in text and "seed 'abc'" in text
        assert "table attempts, row 4" in text and "answer <2 bytes>" in text
        assert len(s.warnings) == 7
        lessons = s.lessons()
        assert sorted(lessons) == ["bad-date", "bad-\ufffd", "good", "text-step"]
        assert lessons["good"] == s.lesson("good") and lessons["good"].furthest_step == 1
        assert lessons["bad-date"].last_visited is None and lessons["bad-date"].percent == 60
        assert lessons["text-step"].current_step == 0 and lessons["text-step"].furthest_step == 1
        attempts = s.attempts()
        assert [a.seed for a in attempts] == [0, 1, 4, 5, 9]
        assert attempts[1].time is None and attempts[-1].lesson_id == "no-such-lesson"
        assert s.quiz_stats("good") == [QuizStats("good", "q", 4, 2)]
        exported = s.export()
        assert [a["seed"] for a in exported["attempts"]] == [0, 1, 4, 5, 9]
        assert exported["attempts"][1]["time"] is None
        json.dumps(exported)
        assert s.last_lesson() is not None
    assert (tmp_path / FILE_NAME).read_bytes() == before  # reading never changes the file


def test_a_write_to_a_damaged_lesson_row_repairs_it(tmp_path: Path) -> None:
    damaged_store(tmp_path)
    with ProgressStore(tmp_path) as s:
        s.visit_step("text-step", 2, 4)
        s.visit_step("bad-date", 0, 5)
    with ProgressStore(tmp_path) as s:
        assert not any("text-step" in w or "bad-date" in w for w in s.warnings)
        assert s.lesson("text-step").furthest_step == 2 and s.lesson("bad-date").furthest_step == 2
        assert s.last_lesson().lesson_id == "bad-date"


def test_many_damaged_rows_are_summed_up_not_listed(tmp_path: Path) -> None:
    with ProgressStore(tmp_path) as s:
        for i in range(40):
            s.record_attempt("a", "q", i, "x", "wrong")
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        conn.execute("UPDATE attempts SET time = 'bad'")
    conn.close()
    with ProgressStore(tmp_path) as s:
        assert len(s.warnings) == progress.DAMAGE_NAMED + 1
        assert "35 more damaged rows in table attempts" in s.warnings[-1]
        assert len(s.attempts()) == 40


def test_nulls_and_missing_columns_in_a_hand_made_schema(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    try:
        conn.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value);
            INSERT INTO meta VALUES ('learner_seed', 'not a number');
            CREATE TABLE lessons (lesson_id PRIMARY KEY, current_step, furthest_step, n_steps, complete, last_visited,
                                  visit_seq);
            INSERT INTO lessons VALUES (NULL, 0, 0, 3, 0, '2026-01-01T00:00:00+00:00', 1);
            INSERT INTO lessons VALUES ('ok', NULL, 1, 3, NULL, NULL, NULL);
            INSERT INTO lessons VALUES ('fine', 1, 1, 2, 1, '2026-01-01T00:00:00+00:00', 2);
            CREATE TABLE attempts (id INTEGER PRIMARY KEY, time, lesson_id, quiz_id, seed, answer);
            INSERT INTO attempts VALUES (1, NULL, 'ok', 'q', 1, 'x');
            PRAGMA user_version = 1;
        """)
    finally:
        conn.close()
    with ProgressStore(tmp_path) as s:
        text = "\n".join(s.warnings)
        assert "table meta, row 1: learner_seed 'not a number'" in text and "new seed was stored" in text
        assert "table lessons, row 1: lesson_id NULL" in text
        assert "table lessons, row 2: lesson 'ok': current_step NULL" in text
        assert "table attempts: lacks the column verdict; its rows are skipped" in text
        assert sorted(s.lessons()) == ["fine", "ok"] and s.lesson("fine").complete
        assert s.attempts() == []
        seed = s.learner_seed
        s.record_attempt("ok", "q", 2, "y", "correct")  # cannot be written to this table: kept, said once
        assert s.not_saving is not None and "no column named verdict" in s.not_saving and s.unsaved == 1
        s.visit_step("fine", 0, 2)  # other writes are not held up behind it
        assert s.unsaved == 1 and s.lesson("fine").last_visited is not None
    with ProgressStore(tmp_path) as s:
        assert s.learner_seed == seed and s.lesson("fine").current_step == 0 and s.lesson("fine").complete


# -- export files -----------------------------------------------------------------------------------------------


def test_write_file_makes_a_new_file_with_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        written = progress.write_file(tmp_path / "out.json", "{}\n")
    finally:
        os.umask(old)
    assert written == tmp_path / "out.json" and written.read_text() == "{}\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_file_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o600)
    progress.write_file(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_file_follows_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert progress.write_file(link, "new") == real
    assert link.is_symlink() and real.read_text() == "new" and stat.S_IMODE(real.stat().st_mode) == 0o640


@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling link", "link to a fifo", "link loop", "device"])
def test_write_file_refuses_anything_but_a_regular_file_untouched(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "dangling link":
        target.symlink_to(tmp_path / "nowhere")
    elif kind == "link to a fifo":
        os.mkfifo(tmp_path / "fifo")
        target.symlink_to(tmp_path / "fifo")
    elif kind == "link loop":
        target.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(target)
    else:
        target = Path("/dev/null")
    before = target.lstat()
    names = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ProgressError) as info:
        progress.write_file(target, "data")
    message = str(info.value)
    assert str(target) in message and ("nothing was written" in message or "cannot write" in message)
    after = target.lstat()
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary file left behind


def test_write_file_on_a_full_disk_keeps_the_old_content_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old content")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(progress.os, "fsync", full)
    with pytest.raises(ProgressError, match="No space left on device; it was left as it was"):
        progress.write_file(target, "new content")
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_file_to_dev_full_is_refused_as_a_device() -> None:
    with pytest.raises(ProgressError, match="character device"):
        progress.write_file(Path("/dev/full"), "data")
