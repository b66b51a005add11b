"""Helpers for tests that run ``ce-tutor`` as a learner would: a separate process, its own data dir."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def cli(tmp_path):
    """Run ``ce-tutor ARGS`` in a subprocess with a private data dir; returns CompletedProcess."""
    home = tmp_path / "home"

    def run(*args: str, input: str | None = "", env: dict[str, str] | None = None, timeout: float = 60):
        environ = {**os.environ, "CE_TUTOR_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "80"}
        environ.pop("CE_TUTOR_LESSONS", None)
        environ.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "ce_tutor", *args],
            input=input, capture_output=True, text=True, env=environ, timeout=timeout, cwd=tmp_path,
        )

    run.home = home
    return run

