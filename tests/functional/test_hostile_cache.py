"""A damaged or forged lesson cache changes nothing the learner sees: list, progress, reset and the app
behave as with no cache, and the cache is repaired on the way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ce_tutor import cli

EMPTY_LESSON = b"\x8c\x17ce_tutor.lessons.schema\x8c\x06Lesson\x93)\x81"
DAMAGE = {
    "empty lesson": lambda entry, others: entry.write_bytes(b"\x80\x05(" + EMPTY_LESSON + b"}}t."),
    "another lesson's entry": lambda entry, others: shutil.copy(others[0] if others[0] != entry else others[1], entry),
    "garbage": lambda entry, others: entry.write_bytes(b"\x00garbage" * 10),
    "truncated": lambda entry, others: entry.write_bytes(entry.read_bytes()[:100]),
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_list_progress_and_reset_behave_as_with_no_cache(tmp_path, capsys, damage):
    data = ["--data-dir", str(tmp_path / "data")]
    expected = {cmd: run(capsys, cmd, *data) for cmd in ("list", "progress")}
    assert expected["list"][0] == 0 and "softmax" in expected["list"][1]
    cache = tmp_path / "data" / "cache" / "lessons"
    entries = sorted(cache.glob("*.pickle"))
    assert len(entries) >= 5
    for entry in entries:
        DAMAGE[damage](entry, entries)
    for cmd in ("list", "progress"):
        assert run(capsys, cmd, *data) == expected[cmd], cmd
    assert run(capsys, "reset", "softmax", "--yes", *data) == (0, "Reset your progress and review cards in 'softmax'.\n", "")
    assert sorted(cache.glob("*.pickle")) == entries  # every entry rewritten under its own name
    assert run(capsys, "list", *data) == expected["list"]
