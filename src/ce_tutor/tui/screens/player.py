"""The lesson player: one step at a time, under a header with the lesson's title and progress."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.timer import Timer
from textual.widget import MountError, Widget
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed

from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.widgets.explorer import ExplorerView
from ce_tutor.tui.widgets.footer import TutorFooter
from ce_tutor.tui.widgets.quiz import QuizView
from ce_tutor.tui.widgets.step_header import StepHeader
from ce_tutor.tui.widgets.steps import StepWork, step_view

if TYPE_CHECKING:
    from ce_tutor.lessons.player import LessonRun

#: How long a step may compute before the player says it is working on it.
COMPUTING_NOTICE_S = 0.3


class PlayerScreen(TutorScreen[str | None]):
    """Shows ``run``'s steps. Dismissed with the lesson id when the lesson is finished, else None."""

    CSS_PATH = "player.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    # The keys that move between steps are priority bindings: they act in the app's loop as the key comes,
    # so that the keys after them wait for the next step (takes_key_now) instead of going to the one on
    # its way out. → and ← give way to a widget that uses them (an explorer, the answer box).
    BINDINGS = [
        Binding("n", "finish", "Finish", priority=True),
        Binding("n", "next", "Next", priority=True),
        Binding("right", "next_by_arrow", "Next", show=False, priority=True),
        Binding("p", "previous", "Back", priority=True),
        Binding("left", "previous_by_arrow", "Back", show=False, priority=True),
        # While a step computes (in a worker thread), Esc must answer at once: a priority binding runs in
        # the app's own message loop, not in this screen's, which is waiting for the step. (check_action
        # leaves Esc to the answer box while one is focused.)
        Binding("escape", "leave", "Lessons", priority=True),
    ]

    #: n and p typed while a step loads move on from it at once (unless keys typed before them wait).
    KEYS_WHILE_LOADING = frozenset({"n", "p"})

    def __init__(self, run: LessonRun, *, ascii: bool = False, note: str = "") -> None:
        """``note``: shown in the header, at the right of the step's title (unmet prerequisites)."""
        super().__init__()
        self.run = run
        self.ascii = ascii
        self.note = note
        self.work: StepWork | None = None  #: the step being computed, while it is
        self.hold_keys()  # the keys typed before the first step shows wait for it

    def compose(self) -> ComposeResult:
        yield StepHeader()
        yield Container(id="step")
        yield TutorFooter(compact=True, show_command_palette=False)  # room for the step's keys

    async def on_mount(self) -> None:
        await self.show_step()

    async def show_step(self) -> None:
        """Replace the step view with the run's current step, and focus it (which updates the footer).

        The step is computed in a worker thread, awaited in the step container's own message loop: this
        screen's loop stays free to paint (the header, "Working out this step…" when it takes a while) and
        the app's to answer keys."""
        holds = self.hold_keys()  # until the step is on the screen, the keys typed wait for it
        run = self.run
        header = self.query_one(StepHeader)
        header.lesson = run.lesson.title
        header.step_title = run.step.title or ""
        header.index, header.total = run.index, run.n_steps
        header.note = self.note
        self.cancel_work()  # the step on its way out is computed for nobody
        body = self.query_one("#step")
        await body.remove_children()
        notice = Static("Working out this step… (Esc goes back to the lessons)", id="computing", markup=False)
        notice.display = False  # shown only if the step takes a while, so that a quick one does not flicker
        await body.mount(notice)
        timer = self.set_timer(COMPUTING_NOTICE_S, lambda: setattr(notice, "display", True))
        work = self.work = StepWork(run)
        body.call_later(self._fill, body, work, timer, holds)

    async def _fill(self, body: Widget, work: StepWork, timer: Timer, holds: int) -> None:
        """In ``body``'s message loop: wait for the step's work, then show it."""
        done = await self._compute(work)
        timer.stop()
        if done is None or not self.is_attached or work.index != self.run.index or self.work is not work:
            return  # cancelled (the learner left or quit), or moved on: the next step is on its way
        self.work = None
        view = step_view(self.run, ascii=self.ascii, work=done)
        try:
            await body.remove_children()
            await body.mount(view)
        except MountError:  # the screen is being taken down meanwhile (the app is closing: a signal, Ctrl+Q)
            return
        # A quiz's answer box takes focus only when the learner moves into it (Enter or Tab): n pressed
        # quickly through the steps must move on, never type "nn" into the box.
        self.focus_soon(view)
        self.app.call_later(self.release_keys, holds)  # behind the focus: the keys typed meanwhile, for this step
        # The old step's widgets are cyclic garbage (each knows its parent), which only a full collection
        # frees, and Python runs one only after many thousand new objects have survived: freeing them here,
        # once the new step is painted, keeps the peak RSS of a lesson about 3 MiB lower.
        self.call_after_refresh(gc.collect)

    async def _compute(self, work: StepWork) -> StepWork | None:
        """Compute a step in a worker thread, so that the app keeps answering keys (Ctrl+Q, Esc) meanwhile.

        Returns None if the work was cancelled (see :meth:`cancel_work`)."""
        from ce_tutor.formula import WorkLimitExceeded

        def compute() -> StepWork | None:
            try:
                return work.compute()
            except WorkLimitExceeded:  # only cancelling raises it
                return None

        try:
            worker = self.run_worker(compute, thread=True, group="step", exit_on_error=False)
            return await worker.wait()
        except WorkerCancelled:
            return None
        except WorkerFailed as failed:  # a bug, not a lesson problem: the app's crash handler logs it
            raise failed.error from None

    def cancel_work(self) -> None:
        """Stop whatever this screen is computing (the learner is leaving, or the app is closing)."""
        if self.work is not None:
            self.work.cancel()
        for view in self.query("QuizView, ExplorerView, LessonPlot"):
            view.cancel_work()  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.cancel_work()

    # Key bindings run their actions in the app's message loop: an action that awaited a step's work would
    # hold every other key (Ctrl+Q included) until it ended. So they hand the step to this screen's loop.
    def action_next(self) -> None:
        if self.run.next():
            self.hold_keys()
            self.call_later(self.show_step)

    def action_next_by_arrow(self) -> None:
        self.action_next()

    def action_previous_by_arrow(self) -> None:
        self.action_previous()

    def action_finish(self) -> None:
        self.run.next()  # on the last step this marks the lesson complete
        self.dismiss(self.run.lesson.id)

    def action_previous(self) -> None:
        if self.run.previous():
            self.hold_keys()
            self.call_later(self.show_step)

    def action_leave(self) -> None:
        self.cancel_work()
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        typing = isinstance(self.focused, Input)
        if action == "leave":  # a priority binding: leave Esc to the answer box while one is focused
            return not typing
        if action in ("next_by_arrow", "previous_by_arrow"):
            if typing or isinstance(self.focused, ExplorerView):  # their own → and ← come first
                return False
            action = action.removesuffix("_by_arrow")
        if action == "finish":
            return self.run.is_last and not typing
        if action == "next":
            return not self.run.is_last and not typing
        if action == "previous":
            return not self.run.is_first and not typing
        return True
