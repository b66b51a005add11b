"""What the learner sees at 80x24, compared with reviewed screenshots in ``__snapshots__``.

Update them with ``pytest tests/tui/test_tui_snapshots.py --snapshot-update`` after looking at each one.
The test lessons in ``data/``, a fixed seed and a fresh data folder keep them deterministic.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from tui_helpers import loaded, make_app, settled, type_text

pytestmark = pytest.mark.slow


def steps(*keys: str, answer: str | None = None, size: tuple[int, int] | None = None):
    """A ``run_before`` that waits for the lessons, presses ``keys``, answers, or resizes."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press(*keys)
        if answer is not None:
            await type_text(pilot, answer)
            await pilot.press("enter")
        if size is not None:
            await pilot.resize_terminal(*size)
        await settled(pilot)  # the steps, an explorer's lines and the plots are computed in workers

    return run_before


CASES = {
    "browser": steps(),
    "prose": steps("enter"),
    "plot": steps("enter", "n"),
    "explorer": steps("enter", "n", "n", "right", "right", "down", "right"),
    "quiz": steps("enter", "n", "n", "n"),  # the answer box waits for Enter or Tab; the footer says so
    "quiz_feedback": steps("enter", "n", "n", "n", "enter", answer="0.5"),
    "quiz_choice": steps("enter", "n", "n", "n", "n", "enter", answer="2"),
    "help": steps("question_mark"),
    "too_small": steps("enter", size=(50, 15)),
}


@pytest.mark.parametrize("case", CASES)
def test_screen(case, snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=CASES[case])
