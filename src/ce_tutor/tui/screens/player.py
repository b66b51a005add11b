"""The lesson player: one step at a time, under a header with the lesson's title and progress."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Input

from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.widgets.footer import TutorFooter
from ce_tutor.tui.widgets.step_header import StepHeader
from ce_tutor.tui.widgets.steps import step_view

if TYPE_CHECKING:
    from ce_tutor.lessons.player import LessonRun


class PlayerScreen(TutorScreen[str | None]):
    """Shows ``run``'s steps. Dismissed with the lesson id when the lesson is finished, else None."""

    CSS_PATH = "player.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    BINDINGS = [
        Binding("n", "finish", "Finish"),
        Binding("n", "next", "Next"),
        Binding("right", "next", "Next", show=False),
        Binding("p", "previous", "Back"),
        Binding("left", "previous", "Back", show=False),
        Binding("escape", "leave", "Lessons"),
    ]

    def __init__(self, run: LessonRun, *, ascii: bool = False) -> None:
        super().__init__()
        self.run = run
        self.ascii = ascii

    def compose(self) -> ComposeResult:
        yield StepHeader()
        yield Container(id="step")
        yield TutorFooter(compact=True, show_command_palette=False)  # room for the step's keys

    async def on_mount(self) -> None:
        await self.show_step()

    async def show_step(self) -> None:
        """Replace the step view with the run's current step, and focus it (which updates the footer)."""
        run = self.run
        header = self.query_one(StepHeader)
        header.lesson = run.lesson.title
        header.step_title = run.step.title or ""
        header.index, header.total = run.index, run.n_steps
        body = self.query_one("#step")
        await body.remove_children()
        view = step_view(run, ascii=self.ascii)
        await body.mount(view)
        # A quiz's answer box takes focus only when the learner moves into it (Enter or Tab): n pressed
        # quickly through the steps must move on, never type "nn" into the box.
        self.focus_soon(view)
        # The old step's widgets are cyclic garbage (each knows its parent), which only a full collection
        # frees, and Python runs one only after many thousand new objects have survived: freeing them here,
        # once the new step is painted, keeps the peak RSS of a lesson about 3 MiB lower.
        self.call_after_refresh(gc.collect)

    async def action_next(self) -> None:
        if self.run.next():
            await self.show_step()

    def action_finish(self) -> None:
        self.run.next()  # on the last step this marks the lesson complete
        self.dismiss(self.run.lesson.id)

    async def action_previous(self) -> None:
        if self.run.previous():
            await self.show_step()

    def action_leave(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        typing = isinstance(self.focused, Input)
        if action == "finish":
            return self.run.is_last and not typing
        if action == "next":
            return not self.run.is_last and not typing
        if action == "previous":
            return not self.run.is_first and not typing
        return True
