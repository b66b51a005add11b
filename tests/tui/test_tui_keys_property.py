"""Property: whatever keys a learner presses, in any order, and however the terminal is resized between
them, the app never fails."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tui_helpers import loaded, make_app

pytestmark = pytest.mark.slow

KEYS = [
    "n", "p", "left", "right", "up", "down", "escape", "enter", "question_mark", "tab", "shift+tab",
    "0", "1", "2", "3", "a", "b", "r", "q", "full_stop", "minus", "plus", "ctrl+p", "ctrl+t", "ctrl+o",
    "ctrl+r", "pageup", "pagedown", "shift+right", "home", "end", "backspace",
]
SIZES = [(80, 24), (60, 20), (50, 15), (100, 40)]


async def press_all(actions: list[str | tuple[int, int]]) -> None:
    """Press each key, or resize the terminal to each (width, height)."""
    with tempfile.TemporaryDirectory() as home:
        app = make_app(Path(home))
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            for action in actions:
                if isinstance(action, tuple):
                    await pilot.resize_terminal(*action)
                else:
                    await pilot.press(action)
            await pilot.pause()
        assert app.return_code in (None, 0)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(st.sampled_from(KEYS) | st.sampled_from(SIZES), min_size=1, max_size=30))
def test_random_keys_never_fail(actions):
    asyncio.run(press_all(actions))
