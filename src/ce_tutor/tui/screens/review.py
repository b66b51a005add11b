"""The review screen: the due quizzes one at a time ("3 of 7 due"), in the lessons' own quiz widget.

A card is rated the moment its quiz is finished (solved, or the worked solution shown); ``n`` then moves on.
``n`` on an unfinished quiz skips it (rated Again). ``Esc`` goes back to the lesson list at any time: the
ratings given are saved, and an unfinished card stays due.
"""

from __future__ import annotations

import gc
from functools import partial
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed

from ce_tutor.tui.colors import theme_color
from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.widgets.footer import TutorFooter
from ce_tutor.tui.widgets.quiz import QuizView

if TYPE_CHECKING:
    from ce_tutor.formula import Budget
    from ce_tutor.quiz import QuizSession
    from ce_tutor.review.session import Review


class ReviewQuiz(QuizView):
    """The lessons' quiz widget, which also tells the screen each time the quiz's state changes."""

    class Changed(Message):
        """An answer, hint, solution or new variant: the card may have been rated."""

    def show_state(self) -> None:
        super().show_state()
        self.post_message(self.Changed())


class ReviewHeader(Widget):
    """Two lines: "Review" and "3 of 7 due" on top, the lesson and quiz below."""

    DEFAULT_CSS = """
    ReviewHeader { height: 2; padding: 0 1; background: $panel; }
    """

    position: reactive[str] = reactive("")
    quiz_title: reactive[str] = reactive("")

    def render(self) -> RenderResult:
        grid = Table.grid(expand=True, padding=(0, 0, 0, 2))
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text("Review: fresh numbers, spaced over days", style="bold"), self.position)
        grid.add_row(Text(self.quiz_title, style=f"bold {theme_color(self.app, 'text-accent')}"), "")
        return grid


class ReviewScreen(TutorScreen[None]):
    """Runs ``review``; dismissed (with None) when the learner goes back to the lessons."""

    CSS_PATH = "review.tcss"
    BINDINGS = [  # n acts as its key comes, so that the keys after it wait for the next card
        Binding("n", "skip", "Skip", priority=True),
        Binding("n", "next", "Next", priority=True),
        Binding("escape", "leave", "Lessons"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review
        self._drawing: Budget | None = None  #: the budget of the card being drawn, while it is
        self.hold_keys()  # the keys typed before the first card shows wait for it

    def compose(self) -> ComposeResult:
        yield ReviewHeader()
        yield Container(id="card")
        yield Static(id="rated", markup=False)
        yield TutorFooter(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        await self.show_card()

    async def show_card(self) -> None:
        """Show the current card's quiz (or the end of the review), and focus its answer box.

        Drawing a card's quiz is lesson work (a fresh variant, unlike the ones seen): it runs in a worker
        thread, awaited here in the screen's own loop, while the keys typed wait for the card
        (``hold_keys``) and Esc and Ctrl+Q answer at once."""
        holds = self.hold_keys()
        review = self.review
        header = self.query_one(ReviewHeader)
        self.query_one("#rated", Static).update("")
        body = self.query_one("#card")
        await body.remove_children()
        while not review.done:
            item = review.current
            assert item is not None
            outcome = await self._draw()
            if outcome is None or not self.is_attached:
                return  # cancelled: the learner left, or the app is closing
            if isinstance(outcome, str):
                self.app.notify(f"{item.title}: this quiz cannot be drawn ({outcome}); it stays due.",
                                title="Skipped", severity="warning", markup=False)
                review.pass_over()
                continue
            header.position, header.quiz_title = review.label, item.title
            view = ReviewQuiz(outcome)
            await body.mount(view)
            self.focus_soon(view.answer_box)
            break
        else:
            await self._show_end()
        self.refresh_bindings()
        self.app.call_later(self.release_keys, holds)  # behind the focus: the keys typed meanwhile
        self.call_after_refresh(gc.collect)  # the old card's widgets: see PlayerScreen.show_step

    async def _draw(self) -> QuizSession | str | None:
        """The current card's quiz session, drawn in a worker thread; why it cannot be (a str), or None if
        cancelled."""
        from ce_tutor.formula import Budget
        from ce_tutor.tui.widgets.quiz import NEW_VARIANT_BUDGET_OUTPUT, NEW_VARIANT_BUDGET_S

        budget = self._drawing = Budget(NEW_VARIANT_BUDGET_S, NEW_VARIANT_BUDGET_OUTPUT, "drawing this quiz")
        try:
            worker = self.run_worker(partial(self._session, budget), thread=True, group="card", exit_on_error=False)
            return await worker.wait()
        except WorkerCancelled:
            return None
        except WorkerFailed as failed:  # not a lesson problem, but it costs the card, not the review
            return f"something went wrong: {failed.error}"
        finally:
            self._drawing = None

    def _session(self, budget: Budget) -> QuizSession | str | None:
        """In the worker thread."""
        from ce_tutor.formula import WorkLimitExceeded
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.quiz import VariantError

        try:
            with budget:
                return self.review.session()
        except WorkLimitExceeded as exc:
            return None if exc.reason == "cancelled" else str(exc)
        except (VariantError, LessonLoadError) as exc:
            return str(exc)

    def cancel_work(self) -> None:
        """Stop what is being drawn or checked (the learner is leaving, or the app is closing)."""
        if self._drawing is not None:
            self._drawing.cancel()
        for view in self.query(ReviewQuiz):
            view.cancel_work()

    def on_unmount(self) -> None:
        self.cancel_work()

    async def _show_end(self) -> None:
        from ce_tutor.review.session import nothing_due

        review = self.review
        header = self.query_one(ReviewHeader)
        header.position, header.quiz_title = f"{review.total} of {review.total} done", ""
        n = len(review.ratings)
        summary = Static(
            f"Review done: {n} quiz{'zes' * (n != 1)} reviewed.\n\n{nothing_due(review.next_due())}\n\n"
            "Press Esc to go back to the lessons.",
            id="done", markup=False,
        )
        await self.query_one("#card").mount(summary)
        self.focus_soon(None)

    @on(ReviewQuiz.Changed)
    def _quiz_changed(self) -> None:
        self.refresh_bindings()
        if self.review.rated and self.review.ratings:
            from ce_tutor import clock
            from ce_tutor.review.session import RATING_WORDS, until

            item = self.review.current
            card = self.review.store.review_card(item.lesson_id, item.quiz_id) if item else None
            due = f" Next review {until(card.due, clock.now())}." if card is not None else ""
            self.query_one("#rated", Static).update(
                f"Rated {RATING_WORDS[int(self.review.ratings[-1])]}.{due} Press n for the next quiz."
            )

    # Key bindings run in the app's loop: the next card is drawn in this screen's (see show_card).
    def action_next(self) -> None:
        self.review.next()
        self.hold_keys()
        self.call_later(self.show_card)

    def action_skip(self) -> None:
        item = self.review.current
        self.review.skip()  # rated Again
        if item is not None:
            self.app.notify(f"{item.title}: rated Again, so it comes back soon.", title="Skipped",
                            markup=False, timeout=3)
        self.hold_keys()
        self.call_later(self.show_card)

    def action_leave(self) -> None:
        self.cancel_work()
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action in ("next", "skip"):
            if self.review.done or isinstance(self.focused, Input):
                return False
            # n is "Skip" while the card is unrated, "Next" once it is.
            return self.review.rated == (action == "next")
        return True
