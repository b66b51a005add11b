"""Shared set-up for the app's tests: no animations, no blinking cursor, a private home for progress."""

import os

os.environ["TEXTUAL_ANIMATIONS"] = "none"  # read when Textual is imported: set it before any test does

import pytest  # noqa: E402

from ce_tutor.tui.widgets.quiz import AnswerInput  # noqa: E402


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """Progress goes to a fresh folder; no user lessons; a truecolor terminal, whatever runs the tests."""
    monkeypatch.setenv("CE_TUTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CE_TUTOR_LESSONS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch):
    """A blinking cursor would make screenshots depend on timing."""

    def no_blink(self: AnswerInput) -> None:
        self.cursor_blink = False

    monkeypatch.setattr(AnswerInput, "on_mount", no_blink, raising=False)
