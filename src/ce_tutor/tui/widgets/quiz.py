"""A quiz: the prompt, the answer box, feedback styled per verdict, hints and the worked solution."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed

from ce_tutor.text import safe
from ce_tutor.tui.widgets.markdown import LessonMarkdown

if TYPE_CHECKING:
    from ce_tutor.formula import Budget
    from ce_tutor.quiz import Feedback, QuizSession, Variant

#: The work drawing new numbers may do (all the variants it tries, with their redraws).
NEW_VARIANT_BUDGET_S = 5.0
NEW_VARIANT_BUDGET_OUTPUT = 3_000_000
#: The work checking an answer, or filling in a hint or the worked solution, may do (their texts are the
#: lesson's, with placeholders).
QUIZ_WORK_BUDGET_S = 3.0
QUIZ_WORK_BUDGET_OUTPUT = 1_000_000


class QuizProblem(str):
    """Why a piece of quiz work gave no result (said in a notification)."""

#: Every verdict has a symbol and a word, so it reads without colour too.
VERDICT_LABELS = {
    "correct": "✓ Correct",
    "close": "≈ Close",
    "misconception": "✗ Not quite",
    "wrong": "✗ Not right",
    "unreadable": "? Could not read that",
}


def reflow(text: str) -> str:
    """Lesson text as prose: the line breaks of its YAML joined, blank lines kept as paragraph breaks, so
    that the widget wraps it to its own width."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(part.split()) for part in paragraphs)


#: Keys that keep their meaning while the answer box is not focused (the steps' keys and help).
NOT_TYPED = frozenset("np?")


class AnswerInput(Input):
    """The answer box; Enter checks the answer."""

    BINDINGS = [Binding("enter", "submit", "Check")]

    def _on_paste(self, event: events.Paste) -> None:
        """Before Input's own handler (Textual calls a subclass's first) inserts a paste's first line: its
        control characters are made escapes (a pasted ESC would otherwise be drawn, and obeyed, by the
        terminal)."""
        lines = event.text.splitlines()
        event.text = safe(lines[0], one_line=True) if lines else ""


class FeedbackPanel(Static):
    """The last answer's verdict (in the border title, with a symbol) and what it means."""

    DEFAULT_CSS = """
    FeedbackPanel { display: none; height: auto; margin: 1 0 0 0; padding: 0 1; border: round $foreground 50%; }
    FeedbackPanel.-shown { display: block; }
    FeedbackPanel.-correct { border: round $success; border-title-color: $text-success; }
    FeedbackPanel.-close { border: round $warning; border-title-color: $text-warning; }
    FeedbackPanel.-misconception, FeedbackPanel.-wrong { border: round $error; border-title-color: $text-error; }
    FeedbackPanel.-unreadable { border: round $foreground 50%; }
    """

    feedback: reactive[Feedback | None] = reactive(None, always_update=True)

    def watch_feedback(self, feedback: Feedback | None) -> None:
        self.set_classes("-shown" if feedback is not None else "")
        if feedback is None:
            return
        verdict = str(feedback.verdict)
        self.add_class(f"-{verdict}")
        self.border_title = VERDICT_LABELS.get(verdict, verdict)
        message = reflow(feedback.message)
        if verdict == "correct":
            message += "\nPress n for the next step."
        elif not feedback.counts_as_attempt:
            message += "\n(This did not count as an attempt.)"
        self.update(Text(message))


class QuizView(VerticalScroll, inherit_bindings=False):
    """One quiz step, drawn from its :class:`QuizSession` (which the lesson run keeps)."""

    DEFAULT_CSS = """
    QuizView { padding: 0 1; }
    QuizView Markdown { margin: 0; padding: 0; }
    QuizView AnswerInput { border-title-color: $text-muted; }
    QuizView AnswerInput:focus { border-title-color: $text-primary; }
    QuizView #options { height: auto; margin: 0 0 1 2; }
    QuizView #hints { display: none; height: auto; margin: 1 0 0 0; padding: 0 1; border-left: thick $accent; }
    QuizView #solution { display: none; height: auto; margin: 1 0 0 0; padding: 0 1; border: round $primary; }
    QuizView #hints.-shown, QuizView #solution.-shown { display: block; }
    """

    BINDINGS = [
        Binding("enter", "answer", "Answer"),  # into the answer box (so does Tab)
        Binding("ctrl+t", "hint", "Hint"),
        Binding("ctrl+o", "solution", "Solution"),
        Binding("ctrl+r", "new_variant", "New numbers"),
        Binding("escape", "leave_box", "Leave box"),
        Binding("up", "scroll_up", show=False),
        Binding("down", "scroll_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
    ]

    def __init__(self, session: QuizSession) -> None:
        super().__init__()
        self.session = session
        self._typed_ahead = False
        self._drawing: Budget | None = None  #: the budget of a draw of new numbers in progress
        # Checking an answer and filling in a hint or the solution are lesson work: each runs in a worker
        # thread, one at a time and in the order asked (the session is not thread-safe).
        self._queued: deque[tuple[str, Callable[[], object], Callable[[Any], object]]] = deque()
        self._busy = False
        self._working: Budget | None = None  #: the budget of the piece of work in progress
        self._solution: list[str] | None = None  #: the worked solution's lines, once filled in (in a worker)

    def compose(self) -> ComposeResult:
        yield LessonMarkdown(id="prompt")
        yield Static(id="options", markup=False)
        answer = AnswerInput(id="answer")
        answer.border_title = "Your answer"
        yield answer
        yield FeedbackPanel(id="feedback")
        yield Static(id="hints", markup=False)
        yield Static(id="solution", markup=False)

    async def on_mount(self) -> None:
        await self.show_variant()
        self.show_state()

    @property
    def answer_box(self) -> AnswerInput:
        return self.query_one(AnswerInput)

    async def show_variant(self) -> None:
        variant = self.session.variant
        await self.query_one("#prompt", LessonMarkdown).update(variant.prompt)
        options = self.query_one("#options", Static)
        options.display = bool(variant.options)
        options.update("\n".join(f"{i}. {text}" for i, text in enumerate(variant.options, 1)))
        n = len(variant.options)
        self.answer_box.placeholder = (
            f"the option's number (1 to {n}) or letter (a to {chr(ord('a') + n - 1)}), then Enter"
            if n else "your answer (a number or a formula, like 0.42 or -ln(0.3)), then Enter"
        )
        self.answer_box.value = ""

    def show_state(self) -> None:
        """Feedback, hints and solution as the session has them."""
        session = self.session
        self.query_one(FeedbackPanel).feedback = session.last_feedback
        hints = self.query_one("#hints", Static)
        hints.set_class(bool(session.hints_shown), "-shown")
        hints.update("\n".join(f"Hint {i}: {reflow(hint)}" for i, hint in enumerate(session.hints_shown, 1)))
        solution = self.query_one("#solution", Static)
        lines = self._solution if session.solution_shown else None
        solution.set_class(lines is not None, "-shown")
        if lines is not None:
            solution.border_title = "Worked solution"
            solution.update("\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1)))
        elif session.solution_shown:  # shown before this view was made: fill it in (lesson work) first
            self.queue_work("filling in the worked solution", lambda: None, lambda _: self.show_state())
        self.screen.refresh_bindings()

    @on(Input.Submitted, "#answer")
    def _submitted(self, event: Input.Submitted) -> None:
        self._typed_ahead = False
        answer = event.value
        if not answer.strip():
            return

        def graded(feedback: Feedback) -> None:
            self.show_state()
            if feedback.verdict == "correct":
                self.focus()
            self.call_after_refresh(self.scroll_to_widget, self.query_one(FeedbackPanel))

        self.queue_work("checking your answer", partial(self.session.submit, answer), graded)

    def queue_work(self, what: str, work: Callable[[], object], then: Callable[[Any], object]) -> None:
        """Run ``work()`` (lesson work on the session) in a worker thread, after the work queued before it,
        then ``then(result)`` here; a problem (the budget running out, a bug) is said, not raised."""
        self._queued.append((what, work, then))
        if not self._busy:
            self._busy = True
            self.call_later(self._run_queued)

    async def _run_queued(self) -> None:
        """In this widget's message loop (not the app's, where key bindings run and Ctrl+Q must answer)."""
        from ce_tutor.formula import Budget

        try:
            while self._queued and self.is_attached:
                what, work, then = self._queued.popleft()
                budget = self._working = Budget(QUIZ_WORK_BUDGET_S, QUIZ_WORK_BUDGET_OUTPUT, what)
                try:
                    worker = self.run_worker(partial(self._work, budget, work), thread=True, group="quiz",
                                             exit_on_error=False)
                    outcome = await worker.wait()
                except WorkerCancelled:
                    return
                except WorkerFailed as failed:  # a bug, not a lesson problem: a message all the same
                    outcome = QuizProblem(f"{what[:1].upper()}{what[1:]} went wrong ({failed.error}).")
                finally:
                    self._working = None
                if outcome is None or not self.is_attached:  # cancelled: the learner left or quit
                    return
                if isinstance(outcome, QuizProblem):
                    self.notify(str(outcome), title="Quiz", severity="warning", timeout=8, markup=False)
                    continue
                then(outcome)
        finally:
            self._busy = False

    def _work(self, budget: Budget, work: Callable[[], object]) -> object:
        """In the worker thread: ``work()`` within ``budget``; None if cancelled."""
        from ce_tutor.formula import WorkLimitExceeded

        try:
            with budget:
                result = work()
                if self.session.solution_shown:  # shown now (asked for, or after the last try): its text
                    self._solution = self.session.solution()
                return result
        except WorkLimitExceeded as exc:
            if exc.reason == "cancelled":
                return None
            message = str(exc)
            return QuizProblem(f"{message[:1].upper()}{message[1:]}.")

    def on_key(self, event: events.Key) -> None:
        """A character typed before the answer box has taken focus (right after Enter or Tab, or with no
        Enter at all) goes into the box, which takes focus: nothing typed is lost. n and p, the steps'
        keys, and ? are never typed in this way."""
        box = self.answer_box
        if box.has_focus or not event.is_printable or event.character in NOT_TYPED or self.session.solved:
            return
        event.stop()
        event.prevent_default()
        box.insert_text_at_cursor(event.character or "")
        self._typed_ahead = True  # so that an Enter that follows before the box has focus checks it
        box.focus()

    # -- actions -----------------------------------------------------------------------------------------
    async def action_answer(self) -> None:
        """Enter: into the answer box; if an answer was typed ahead (faster than the focus moved), check it."""
        box = self.answer_box
        box.focus()
        if self._typed_ahead:
            self._typed_ahead = False
            await box.action_submit()

    def action_hint(self) -> None:
        def shown(hint: str | None) -> None:
            if hint is not None:
                self.show_state()
                self.call_after_refresh(self.scroll_to_widget, self.query_one("#hints"))

        self.queue_work("filling in this hint", self.session.hint, shown)

    def action_solution(self) -> None:
        def shown(_steps: object) -> None:
            self.show_state()
            self.call_after_refresh(self.scroll_to_widget, self.query_one("#solution"))

        self.queue_work("filling in the worked solution", self.session.solution, shown)

    def action_new_variant(self) -> None:
        # Run in this widget's own message loop, not in the app's (where key bindings run): waiting there
        # for the draw would hold every other key, Ctrl+Q included.
        self.call_later(self.new_variant)

    async def new_variant(self) -> None:
        """Draw fresh numbers in a worker thread (a quiz whose require rarely holds can take a while); a
        draw that fails leaves the quiz as it was and says so on the screen."""
        if self._drawing is not None:
            return  # one draw at a time
        from ce_tutor.formula import Budget

        budget = self._drawing = Budget(NEW_VARIANT_BUDGET_S, NEW_VARIANT_BUDGET_OUTPUT, "drawing new numbers")
        try:
            worker = self.run_worker(partial(self._draw, budget), thread=True, group="variant", exit_on_error=False)
            outcome = await worker.wait()
        except WorkerCancelled:
            outcome = None
        except WorkerFailed as failed:  # not a lesson problem, but a failed draw still only costs a message
            outcome = f"something went wrong ({failed.error})"
        finally:
            self._drawing = None
        if outcome is None or not self.is_attached:  # cancelled: the learner left or quit
            return
        if isinstance(outcome, str):
            self.notify(f"No new numbers could be drawn: {outcome}. Carry on with these.",
                        title="New numbers", severity="warning", timeout=6)
            return
        self.session.use_variant(outcome)
        self._solution = None
        await self.show_variant()
        self.show_state()
        self.answer_box.focus()

    def _draw(self, budget: Budget) -> Variant | str | None:
        """In the worker thread: the next variant, or why there is none (None: cancelled)."""
        from ce_tutor.formula import WorkLimitExceeded
        from ce_tutor.quiz import VariantError

        try:
            with budget:
                return self.session.draw_next_variant()
        except WorkLimitExceeded as exc:
            return None if exc.reason == "cancelled" else str(exc)
        except (VariantError, ValueError) as exc:
            return str(exc)

    def cancel_work(self) -> None:
        """Stop a draw or a piece of work in progress (the learner is leaving, or the app is closing)."""
        self._queued.clear()
        for budget in (self._drawing, self._working):
            if budget is not None:
                budget.cancel()

    def action_leave_box(self) -> None:
        self._typed_ahead = False
        self.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = self.answer_box.has_focus
        if action == "answer":  # once solved, Enter has nothing to check (n goes on)
            return not typing and not self.session.solved
        if action == "leave_box":
            return typing
        if action == "hint":
            return not self.session.solved and len(self.session.hints_shown) < len(self.session.step.hints)
        if action == "solution":
            return not self.session.finished
        return True
