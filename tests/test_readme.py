"""The README's Quick start and .ci/run must agree, and the commands must be the documented ones."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Quick start needs a ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_one_line_commands():
    install, test = quick_start_commands()
    assert install.endswith("ce-tutor")
    assert test.endswith("pytest")
    assert "[test]" in test


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    commands = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert quick_start_commands()[1] in commands
