"""The progress store shared by real processes: concurrent writers, and a writer killed with SIGKILL."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from ce_tutor.progress import FILE_NAME, ProgressStore

pytestmark = pytest.mark.slow

#: Generous limits so that a hung child fails the test instead of blocking it; nothing is timed.
HANG_S = 120.0

WRITER = """
import sys
from ce_tutor.progress import ProgressStore

data_dir, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit("no go signal")
with ProgressStore(data_dir) as store:
    for i in range(count):
        store.record_attempt(name, "q", i, f"{name}-{i}", "correct")
    print("seed", store.learner_seed, "warnings", len(store.warnings), flush=True)
"""

KILLED_WRITER = """
import sys
from ce_tutor.progress import ProgressStore

store = ProgressStore(sys.argv[1])
done = len(store.attempts())
while True:
    done += 1
    store.record_attempt("lesson", "q", done, f"answer {done}", "wrong")
    store.visit_step("lesson", done % 10, 10)
    print(done, flush=True)
"""


def child_env(data_home: Path) -> dict[str, str]:
    """The environment for a child: CE_TUTOR_HOME points into the test's tmp dir, never the real home."""
    return {**os.environ, "CE_TUTOR_HOME": str(data_home), "PYTHONUNBUFFERED": "1"}


def line_reader(stream: IO[str]) -> queue.Queue[str | None]:
    """Lines of ``stream`` in a queue, read by a daemon thread; ``None`` marks the end of the stream."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def next_line(lines: queue.Queue[str | None], proc: subprocess.Popen[str]) -> str:
    try:
        line = lines.get(timeout=HANG_S)
    except queue.Empty:
        proc.kill()
        pytest.fail(f"child {proc.pid} printed nothing for {HANG_S:g} s")
    if line is None:
        proc.wait(timeout=HANG_S)
        pytest.fail(f"child {proc.pid} stopped early with exit code {proc.returncode}: {proc.stderr.read()}")
    return line


def integrity(path: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def test_two_processes_write_to_one_fresh_store_at_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"
    count = 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), name, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path / "unused-home"),
        )
        for name in ("first", "second")
    ]
    try:
        readers = [line_reader(proc.stdout) for proc in procs]
        for proc, lines in zip(procs, readers):
            assert next_line(lines, proc) == "ready"
        for proc in procs:  # both are past start-up: release them together onto the not-yet-created store
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = [next_line(lines, proc).split() for proc, lines in zip(procs, readers)]
        for proc in procs:
            assert proc.wait(timeout=HANG_S) == 0, proc.stderr.read()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    with ProgressStore(data_dir) as store:
        attempts = store.attempts()
        seed = store.learner_seed
        assert store.warnings == []
    assert len(attempts) == 2 * count
    for name in ("first", "second"):
        assert [a.answer for a in attempts if a.lesson_id == name] == [f"{name}-{i}" for i in range(count)]
    assert reports == [["seed", str(seed), "warnings", "0"]] * 2
    assert integrity(data_dir / FILE_NAME) == [("ok",)]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_loses_nothing_that_was_reported_saved(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    reported = 0
    for _ in range(3):  # each round resumes the store the previous kill left behind
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path / "unused-home"),
        )
        try:
            lines = line_reader(proc.stdout)
            target = reported + 50
            while reported < target:
                reported = int(next_line(lines, proc))
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=HANG_S) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        while (line := lines.get(timeout=HANG_S)) is not None:  # counts printed before the kill landed
            reported = int(line)

        assert integrity(data_dir / FILE_NAME) == [("ok",)]
        with ProgressStore(data_dir) as store:
            assert store.warnings == []
            saved = [a.seed for a in store.attempts()]
            lesson = store.lesson("lesson")
        assert reported <= len(saved) <= reported + 1  # the write in flight may or may not have landed
        assert saved == list(range(1, len(saved) + 1))
        assert lesson.current_step in {reported % 10, (reported + 1) % 10}
        reported = len(saved)
