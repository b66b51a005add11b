"""The commands in a hostile environment: a full or closed stdout, a closed stdin, bytes on stdin that are
not UTF-8, empty paths. Each ends in one clear message (or a sensible default), never the crash message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(tmp_path: Path, shell: str, input: bytes = b"") -> subprocess.CompletedProcess[str]:
    """``ce-tutor`` run by ``sh -c shell`` (where ``$CE`` is the command), with a private data dir."""
    env = {**os.environ, "CE_TUTOR_HOME": str(tmp_path / "home"), "CE": f"{sys.executable} -m ce_tutor",
           "NO_COLOR": "1"}
    env.pop("CE_TUTOR_LESSONS", None)
    result = subprocess.run(["sh", "-c", shell], input=input, capture_output=True, env=env, timeout=60,
                            cwd=tmp_path)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def no_crash(result: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert not (tmp_path / "home" / "logs").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", ["list", "progress", "export", "--plain softmax"])
def test_a_full_stdout_is_one_clear_message(tmp_path, command):
    result = run(tmp_path, f"$CE {command} >/dev/full </dev/null")
    no_crash(result, tmp_path)
    assert (result.returncode, result.stderr) == (1, "ce-tutor: cannot write to standard output: "
                                                      "No space left on device\n")


def test_a_reader_that_goes_away_ends_quietly(tmp_path):
    code = ("import os, subprocess, sys; r, w = os.pipe(); os.close(r); "
            "sys.exit(subprocess.run([sys.executable, '-m', 'ce_tutor', 'list'], stdout=w).returncode)")
    result = run(tmp_path, f"{sys.executable} -c \"{code}\"")
    no_crash(result, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_closed_stdout_is_one_clear_message(tmp_path):
    result = run(tmp_path, "$CE list >&-")
    no_crash(result, tmp_path)
    assert (result.returncode, result.stderr) == (1, "ce-tutor: standard output is closed; nothing can be shown.\n")


def test_a_closed_stdin_ends_the_plain_mode_as_end_of_input_does(tmp_path):
    result = run(tmp_path, "$CE --plain softmax <&-")
    no_crash(result, tmp_path)
    assert result.returncode == 0 and result.stdout.rstrip().endswith("Progress saved. Bye.")


def test_bytes_that_are_not_utf8_on_stdin_do_not_stop_the_plain_mode(tmp_path):
    result = run(tmp_path, "$CE --plain softmax", input=b"\xff\xfe\n\nq\n")
    no_crash(result, tmp_path)
    assert result.returncode == 0 and result.stdout.rstrip().endswith("Progress saved. Bye.")
    assert "step 2/" in result.stdout  # the bad line was an answer like any other: Enter went on


@pytest.mark.parametrize("command", ["export -o ''", "--data-dir '' progress", "list --lessons ''",
                                     "check ''"])
def test_an_empty_path_is_a_usage_error(tmp_path, command):
    result = run(tmp_path, f"$CE {command}")
    no_crash(result, tmp_path)
    assert result.returncode == 2
    assert "an empty path; give a file or folder name, or leave the option out" in result.stderr
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "home"]) and not (tmp_path / "progress.sqlite3").exists()
