"""Hostile lessons and answers (tests/data/hostile/bounded-*) end in a message, within bounded memory and time.

Each runs ``ce-tutor`` as a child process and reads that child's own peak RSS (``os.wait4``). An address
space limit of 1.5 GiB keeps a regression from eating the machine: it turns into a MemoryError, which
fails the test's assertions instead.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
AS_LIMIT = 3 << 29  # 1.5 GiB of address space
PEAK_LIMIT_MIB = 200  # far under the 512 MiB


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mib: float


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def run_measured(home: Path, *args: str, input: str = "", timeout: float = 60) -> Run:
    """``ce-tutor ARGS`` in a child with a private data dir; its output and its own peak RSS."""
    environ = {**os.environ, "CE_TUTOR_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "80"}
    environ.pop("CE_TUTOR_LESSONS", None)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.TemporaryFile("w+") as stdin:
        stdin.write(input)
        stdin.seek(0)
        child = subprocess.Popen([sys.executable, "-m", "ce_tutor", *args], stdin=stdin, stdout=out, stderr=err,
                                 env=environ, text=True, preexec_fn=_limit_memory)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                pytest.fail(f"ce-tutor {' '.join(args)} ran for more than {timeout} s")
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(child.returncode, out.read(), err.read(), usage.ru_maxrss / 1024)


def test_check_refuses_a_broadcast_of_800_mb_before_building_it(tmp_path: Path) -> None:
    path = HOSTILE / "bounded-broadcast.yaml"
    run = run_measured(tmp_path, "check", str(path))
    assert run.returncode == 1
    assert f"{path}:11: values.f: max(): that makes 100000000 values; a formula may use at most 10000" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.peak_mib < PEAK_LIMIT_MIB


def test_a_learners_huge_answer_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    shutil.copy(HOSTILE / "bounded-quiz.yaml", lessons)
    answer = (HOSTILE / "bounded-answer.txt").read_text().strip()
    assert len(answer) <= 200  # the answer box's own limit: this gets to the evaluator
    run = run_measured(tmp_path / "home", "--plain", "bounded-quiz", "--lessons", str(lessons),
                       input=f"{answer}\n1\nquit\n")
    assert run.returncode == 0, run.stderr
    assert "max(): that makes 1000000\nvalues; a formula may use at most 10000." in run.stdout
    assert "Correct" in run.stdout  # the session went on: the next answer was graded
    assert run.peak_mib < PEAK_LIMIT_MIB


def test_check_of_slow_hostile_lessons_ends_with_the_step_that_runs_out_of_budget(tmp_path: Path) -> None:
    """The issue's 207 s ``check`` that said "All lessons are fine": hundreds of slow placeholders, and a slow
    require retried on every draw. Each file now stops at its lesson's budget (5 s of CPU time) and says
    where; the timeout here is only a safety net for a regression."""
    slow_text, slow_require = HOSTILE / "bounded-placeholders.yaml", HOSTILE / "bounded-slow-require.yaml"
    run = run_measured(tmp_path, "check", str(slow_text), str(slow_require), timeout=120)
    assert run.returncode == 1
    assert run.stdout.splitlines() == ["2 problems found."]  # the summary on stdout, the problems on stderr
    assert run.stderr.splitlines() == [
        f"{slow_text}:11: steps[1]: this lesson takes too long to compute (more than 5 s of work in all); "
        "the rest of the lesson is not computed (only read)",
        f"{slow_require}:10: steps[1]: this lesson takes too long to compute (more than 5 s of work in all); "
        "the rest of the lesson is not computed (only read)",
    ]
    assert run.peak_mib < PEAK_LIMIT_MIB
