"""The review screen: the due quizzes one at a time ("3 of 7 due"), in the lessons' own quiz widget.

A card is rated the moment its quiz is finished (solved, or the worked solution shown); ``n`` then moves on.
``n`` on an unfinished quiz skips it (rated Again). ``Esc`` goes back to the lesson list at any time: the
ratings given are saved, and an unfinished card stays due.
"""

from __future__ import annotations

import gc
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

from ce_tutor.tui.colors import theme_color
from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.widgets.footer import TutorFooter
from ce_tutor.tui.widgets.quiz import QuizView

if TYPE_CHECKING:
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
    BINDINGS = [
        Binding("n", "skip", "Skip"),
        Binding("n", "next", "Next"),
        Binding("escape", "leave", "Lessons"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review

    def compose(self) -> ComposeResult:
        yield ReviewHeader()
        yield Container(id="card")
        yield Static(id="rated", markup=False)
        yield TutorFooter(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        await self.show_card()

    async def show_card(self) -> None:
        """Show the current card's quiz (or the end of the review), and focus its answer box."""
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.quiz import VariantError

        review = self.review
        header = self.query_one(ReviewHeader)
        self.query_one("#rated", Static).update("")
        body = self.query_one("#card")
        await body.remove_children()
        while not review.done:
            item = review.current
            assert item is not None
            try:
                session = review.session()
            except (VariantError, LessonLoadError) as exc:
                self.app.notify(f"{item.title}: this quiz cannot be drawn ({exc}); it stays due.",
                                title="Skipped", severity="warning", markup=False)
                review.pass_over()
                continue
            header.position, header.quiz_title = review.label, item.title
            view = ReviewQuiz(session)
            await body.mount(view)
            self.focus_soon(view.answer_box)
            break
        else:
            await self._show_end()
        self.refresh_bindings()
        self.call_after_refresh(gc.collect)  # the old card's widgets: see PlayerScreen.show_step

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

    async def action_next(self) -> None:
        self.review.next()
        await self.show_card()

    async def action_skip(self) -> None:
        item = self.review.current
        self.review.skip()  # rated Again
        if item is not None:
            self.app.notify(f"{item.title}: rated Again, so it comes back soon.", title="Skipped",
                            markup=False, timeout=3)
        await self.show_card()

    def action_leave(self) -> None:
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
