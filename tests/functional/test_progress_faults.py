"""Progress faults as a learner meets them: a file that cannot be written mid-session, a read-only file or
folder, hand-damaged rows, and ``export -o`` aimed at things that are not regular files.

Each test checks what the learner sees and that, after the fault, ``export`` still returns every good row.
Faults are made deterministically: SQLite's own "database or disk is full" (``PRAGMA max_page_count``), a
second connection holding the write lock with a short busy timeout, a read-only folder entered as another
user (we run as root, for whom permissions do not apply), and an injected ``ENOSPC``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ce_tutor import cli as ce_tutor_cli
from ce_tutor import progress
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.plain import PlainTutor
from ce_tutor.progress import FILE_NAME, ProgressStore

HOSTILE = Path(__file__).parent.parent / "data" / "hostile"
CATALOG = load_catalog([shipped_lessons_dir()])
SOFTMAX = CATALOG.get("softmax").lesson


def export_json(home: Path) -> dict:
    """What ``export`` gives now, read the way a teacher's script would (in this process, quietly)."""
    with ProgressStore(home) as s:
        data = s.export()
    del data["exported_at"]
    return data


def softmax_script() -> tuple[str, int]:
    """Keys for going through the softmax lesson in plain mode, asking for each quiz's solution (which is
    recorded as an attempt); and how many lines of input it has."""
    lines = []
    for step in SOFTMAX.steps:
        if step.type == "explore":
            lines.append("")  # leave the explorer
        elif step.type == "quiz":
            lines += ["solution", ""]  # after the solution, Enter leaves the quiz
        lines.append("")  # [Enter] next, or finish on the last step
    lines.append("q")  # at "Next: ...": stop
    return "\n".join(lines) + "\n", len(lines)


class Keys(io.StringIO):
    """Typed lines, with an action run just before line ``at`` (1-based) is read."""

    def __init__(self, text: str, at: int, action) -> None:
        super().__init__(text)
        self.n, self.at, self.action = 0, at, action

    def readline(self, *args) -> str:  # type: ignore[override]
        self.n += 1
        if self.n == self.at:
            self.action()
        return super().readline(*args)


# -- a file that cannot be written mid-session ----------------------------------------------------------------


def test_plain_mode_on_a_full_disk_says_so_once_goes_on_and_saves_everything_when_space_returns(monkeypatch, tmp_path):
    text, n_lines = softmax_script()
    store = ProgressStore(tmp_path)
    store.visit_step("neg-log-p", 3, 11)  # saved before the fault
    disk = {"full": True}
    transaction = progress._transaction

    def write(conn):  # every write transaction fails as SQLite fails on a full disk, until space returns
        if disk["full"]:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return transaction(conn)

    monkeypatch.setattr(progress, "_transaction", write)

    def space_returns() -> None:
        disk["full"] = False

    out = io.StringIO()
    with store:
        status = PlainTutor(CATALOG, store, 7, stdin=Keys(text, n_lines - 1, space_returns), stdout=out,
                            width=1000).run("softmax")
    shown = out.getvalue()
    assert status == 0 and "Traceback" not in shown
    assert shown.count("Note: progress is not being saved") == 1
    assert "database or disk is full" in shown and str(tmp_path / FILE_NAME) in shown
    assert f"Lesson complete: {SOFTMAX.title}" in shown
    assert shown.count("Note: progress is saved.") == 1
    saved = export_json(tmp_path)
    lessons = {row["lesson_id"]: row for row in saved["lessons"]}
    assert lessons["softmax"]["complete"] and lessons["neg-log-p"]["current_step"] == 3
    quizzes = [s.id for s in SOFTMAX.steps if s.type == "quiz"]
    assert [(a["quiz_id"], a["verdict"]) for a in saved["attempts"]] == [(q, "revealed") for q in quizzes]


def test_plain_mode_whose_store_stays_locked_ends_with_how_much_was_not_saved(monkeypatch, tmp_path):
    monkeypatch.setattr(progress, "BUSY_TIMEOUT_S", 0.05)
    monkeypatch.setattr(progress, "RETRY_TIMEOUT_S", 0.01)
    store = ProgressStore(tmp_path)
    store.record_attempt("softmax", "q", 1, "kept", "correct")
    other = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    out = io.StringIO()
    try:
        with store:
            PlainTutor(CATALOG, store, 7, stdin=io.StringIO("\n\nq\n"), stdout=out, width=1000).run("softmax")
    finally:
        other.execute("ROLLBACK")
        other.close()
    shown = out.getvalue()
    assert shown.count("Note: progress is not being saved") == 1 and "locked by another program" in shown
    assert "Progress saved" not in shown and "Bye." in shown
    assert "3 changes made this session could not be saved" in shown  # three step visits
    assert [a["answer"] for a in export_json(tmp_path)["attempts"]] == ["kept"]


def test_export_while_another_program_holds_the_lock_gets_every_row(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(progress, "BUSY_TIMEOUT_S", 0.05)
    with ProgressStore(tmp_path) as s:
        s.visit_step("softmax", 4, 12)
        s.record_attempt("softmax", "q", 1, "0.5", "correct")
    other = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert ce_tutor_cli.main(["--data-dir", str(tmp_path), "export"]) == 0
        captured = capsys.readouterr()
        exported = json.loads(captured.out)
        assert "locked by another program" in captured.err
        assert ce_tutor_cli.main(["--data-dir", str(tmp_path), "progress"]) == 0
        table = capsys.readouterr().out
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert exported["lessons"][0]["current_step"] == 4 and exported["attempts"][0]["answer"] == "0.5"
    assert "softmax" in table and "41%" in table


# -- a read-only progress file or folder ----------------------------------------------------------------------


@pytest.fixture
def read_only_home():
    """A data folder with progress in it that the commands below may read but not write: as root (for whom
    permissions do not apply) they run as the user nobody; otherwise the folder is made read-only."""
    root = Path(tempfile.mkdtemp(prefix="ce-tutor-ro-"))
    home = root / "home"
    with ProgressStore(home) as s:
        s.visit_step("softmax", 5, len(SOFTMAX.steps))
        s.complete_lesson("neg-log-p", 11)
        s.record_attempt("softmax", "q1", 3, "0.57", "correct")
        s.record_attempt("softmax", "q1", 3, "0.2", "wrong")
    before = export_json(home)
    as_root = os.geteuid() == 0
    if as_root:
        os.chmod(root, 0o755)
        os.chmod(home, 0o755)
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to become another user")
    else:
        os.chmod(home / FILE_NAME, 0o444)
        os.chmod(home, 0o555)

    def run(*args: str, input: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "CE_TUTOR_HOME": str(home), "TERM": "dumb", "COLUMNS": "80", "HOME": str(root)}
        env.pop("CE_TUTOR_LESSONS", None)
        command = [sys.executable, "-m", "ce_tutor", *args]
        if as_root:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        return subprocess.run(command, input=input, capture_output=True, text=True, env=env, timeout=120, cwd=root)

    run.home = home
    run.before = before
    yield run
    os.chmod(home, 0o755)
    shutil.rmtree(root)


def test_a_read_only_progress_folder_shows_exports_and_keeps_its_progress(read_only_home):
    run, home = read_only_home, read_only_home.home
    file_before = (home / FILE_NAME).read_bytes()

    table = run("progress")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[2:] if line.strip()}
    assert "50%" in rows["softmax"] and "1/2 (50%)" in rows["softmax"]
    assert "done" in rows["neg-log-p"]
    assert "read-only" in table.stderr and "nothing new will be saved" in table.stderr

    exported = run("export")
    assert exported.returncode == 0 and "nothing new will be saved" in exported.stderr
    data = json.loads(exported.stdout)
    del data["exported_at"]
    assert data == read_only_home.before

    session = run("--plain", "softmax", input="\n\nq\n")
    assert session.returncode == 0 and "Traceback" not in session.stdout + session.stderr
    assert "(Resuming at step 6/" in session.stdout
    assert "nothing new will be saved" in session.stderr
    assert "Progress saved" not in session.stdout and "Bye." in session.stdout

    assert (home / FILE_NAME).read_bytes() == file_before
    reset = run("reset", "--yes")
    assert reset.returncode == 1 and "nothing was reset" in reset.stderr
    assert (home / FILE_NAME).read_bytes() == file_before
    assert export_json(home) == read_only_home.before


def test_an_unreadable_progress_file_is_never_exported_as_empty(read_only_home):
    run, home = read_only_home, read_only_home.home
    os.chmod(home / FILE_NAME, 0)  # no one but root may read it
    try:
        if os.geteuid() != 0:
            os.chmod(home, 0o755)
        exported = run("export")
        assert exported.returncode == 1 and exported.stdout == ""
        assert "cannot be read" in exported.stderr and "nothing was exported" in exported.stderr
        table = run("progress")  # the table says what it can: nothing, with the reason above it
        assert table.returncode == 0 and "cannot read progress file" in table.stderr
        assert "neither shown nor saved" in table.stderr
    finally:
        os.chmod(home / FILE_NAME, 0o644)
    assert export_json(home) == read_only_home.before


# -- damaged rows ---------------------------------------------------------------------------------------------


def test_damaged_rows_are_named_and_every_good_row_gets_out(cli):
    cli.home.mkdir(parents=True)
    conn = sqlite3.connect(cli.home / FILE_NAME)
    conn.executescript((HOSTILE / "progress-damaged-rows.sql").read_text())
    conn.close()

    table = cli("progress")
    assert table.returncode == 0 and "Traceback" not in table.stderr
    for shown in (table.stdout, table.stderr):
        assert "\x1b" not in shown and "\x07" not in shown
    assert ("table lessons, row 3: lesson 'total-cross-entropy': last_visited 'last tuesday' is not a date"
            in table.stderr)
    assert "table lessons, row 4: lesson 'ce-vs-ssr': n_steps 'eleven'" in table.stderr
    assert "table attempts, row 2: time 'not a time' is not a date" in table.stderr
    assert "table attempts, row 3: seed 'eleven' unusable; row skipped" in table.stderr
    lessons_table = table.stdout.split("\n\n")[0]  # the review cards' table follows a blank line
    rows = {line.split()[0]: line for line in lessons_table.splitlines()[2:] if line.strip() and "  " in line}
    assert "50%" in rows["softmax"] and "1/2 (50%)" in rows["softmax"]
    assert "done" in rows["neg-log-p"] and "25%" in rows["total-cross-entropy"]
    assert "new" in rows["ce-vs-ssr"]  # not started
    assert "not found now ('\\x1b]0;pwned\\x07', 'my-own-lesson')" in table.stdout

    exported = cli("export")
    assert exported.returncode == 0 and "\x1b" not in exported.stdout + exported.stderr
    data = json.loads(exported.stdout)
    assert data["learner_seed"] == 123456789
    assert [row["lesson_id"] for row in data["lessons"]] == [
        "\x1b]0;pwned\x07", "my-own-lesson", "neg-log-p", "softmax", "total-cross-entropy"]
    assert data["lessons"][-1]["last_visited"] is None and data["lessons"][-1]["furthest_step"] == 2
    assert [(a["answer"], a["time"] is None) for a in data["attempts"]] == [
        ("0.57", False), ("0.2", True), ("1.2", False)]


# -- export -o ------------------------------------------------------------------------------------------------


def test_export_refuses_a_fifo_a_device_and_a_dangling_link_and_changes_none(cli, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    for target, kind in ((fifo, "named pipe"), (Path("/dev/null"), "character device"),
                         (dangling, "does not exist"), (tmp_path, "folder")):
        before = target.lstat()
        result = cli("export", "-o", str(target))
        assert result.returncode == 1 and kind in result.stderr, result.stderr
        assert "written to" not in result.stderr and "Traceback" not in result.stderr
        assert (target.lstat().st_mode, target.lstat().st_ino) == (before.st_mode, before.st_ino)
    assert not (tmp_path / "nowhere").exists()


def test_export_keeps_a_600_file_private_and_writes_through_a_link(cli, tmp_path):
    with ProgressStore(cli.home) as s:
        s.record_attempt("softmax", "q", 1, "0.5", "correct")
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(private)
    assert cli("export", "-o", str(private)).returncode == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert json.loads(private.read_text())["attempts"][0]["answer"] == "0.5"
    private.write_text("old")
    result = cli("export", "-o", str(link))
    assert result.returncode == 0 and str(private) in result.stderr
    assert link.is_symlink() and json.loads(private.read_text())["attempts"][0]["answer"] == "0.5"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_export_on_a_full_disk_fails_and_leaves_the_old_file(monkeypatch, tmp_path, capsys):
    target = tmp_path / "out.json"
    target.write_text("last week's export")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(progress.os, "fsync", full)
    assert ce_tutor_cli.main(["--data-dir", str(tmp_path / "home"), "export", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "left as it was" in err and "written to" not in err
    assert target.read_text() == "last week's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out.json"]


def test_export_to_a_full_standard_output_fails_with_a_message(tmp_path):
    env = {**os.environ, "CE_TUTOR_HOME": str(tmp_path / "home")}
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "ce_tutor", "export"], stdout=full, stderr=subprocess.PIPE,
                                text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "ce-tutor: cannot write to standard output: No space left on device"


def test_export_never_sends_control_or_bidi_characters_to_the_terminal_and_keeps_them_in_the_json(cli):
    answer = "a\x1b]52;c;aGk=\x07\x9b2J\u202eb"
    with ProgressStore(cli.home) as s:
        s.record_attempt("softmax", "q", 1, answer, "wrong")
    result = cli("export")
    assert result.returncode == 0
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e")
    assert json.loads(result.stdout)["attempts"][0]["answer"] == answer
