"""Small yes/no dialogs: resume the last lesson, confirm a reset."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ce_tutor.tui.screens.base import TutorModal


class QuestionScreen(TutorModal[bool]):
    """A question with a yes button (focused) and a no button; Enter says yes, Esc says no."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("enter", "answer(True)", "Yes", show=False),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, yes: str, no: str, keys: str) -> None:
        super().__init__()
        self.question, self.yes, self.no, self.keys = question, yes, no, keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question", markup=False)
            yield Static(self.keys, classes="keys")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#yes").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ResumeScreen(QuestionScreen):
    """"Resume Softmax at step 3/9?" when a lesson was left unfinished."""

    def __init__(self, title: str, where: str) -> None:
        super().__init__(f"Resume {title} at {where}?", "Resume", "Browse", "Enter resume · Esc browse")


class ConfirmScreen(QuestionScreen):
    """A confirmation before something that cannot be undone."""

    def __init__(self, question: str, yes: str) -> None:
        super().__init__(question, yes, "Cancel", f"Enter {yes.lower()} · Esc cancel")
