"""The lesson browser: the curriculum, progress per lesson, prerequisites, and lesson-file problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList, Static

from ce_tutor.text import safe
from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.widgets.footer import TutorFooter
from ce_tutor.tui.widgets.lesson_list import REVIEW_ROW, LessonList

if TYPE_CHECKING:
    from ce_tutor.tui.library import LessonStatus, Library


class LessonDetails(Static):
    """The highlighted lesson: its summary, length, where the learner is and what it builds on."""

    status: reactive[LessonStatus | None] = reactive(None)

    def __init__(self, library: Library, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.library = library

    def watch_status(self, status: LessonStatus | None) -> None:
        if status is None:
            self.update("")
            return
        lesson = status.lesson
        text = Text()
        text.append(safe(lesson.title, one_line=True), style="bold")
        steps = f"{lesson.steps} step{'s' * (lesson.steps != 1)}"
        if status.complete:
            text.append(f"\n{steps} · done. Enter to go through it again.")
        elif status.progress is not None:
            text.append(f"\n{steps} · you are at step {status.progress.current_step + 1}. Enter to resume.")
        else:
            text.append(f"\n{steps} · Enter to start.")
        text.append(f"\n\n{safe(lesson.summary)}")
        if status.missing:
            names = ", ".join(self.library.title(r) for r in status.missing)
            text.append(f"\nBuilds on {names}, not done yet: you can open it anyway.", style="italic")
        self.update(text)


class Masthead(Widget):
    """The top line: the app's name at the left, the tally (or "Opening …") at the right. One widget, not a
    row of two: the first frame costs less with each widget fewer."""

    COMPONENT_CLASSES = {"masthead--tally"}
    tally: reactive[str] = reactive("")

    def render(self) -> Text:
        width = self.content_size.width
        right = Text(self.tally, style=self.get_component_rich_style("masthead--tally"), no_wrap=True)
        right.truncate(width, overflow="ellipsis")
        left = Text.assemble(("ce-tutor", "bold"), "  cross-entropy, step by step", no_wrap=True)
        left.truncate(max(width - right.cell_len, 0), overflow="ellipsis", pad=True)
        return Text.assemble(left, right, no_wrap=True, end="")


class BrowserScreen(TutorScreen[None]):
    """The first screen: "Loading lessons…", then the curriculum."""

    AUTO_FOCUS = "#lessons"

    class ListShown(Message):
        """The lesson list has been painted (so the app may now load, in the background, what lessons need)."""

    class OpenLesson(Message):
        """The learner chose a lesson."""

        def __init__(self, lesson_id: str) -> None:
            super().__init__()
            self.lesson_id = lesson_id

    class OpenReview(Message):
        """The learner chose the "Review: N due" row."""

    library: reactive[Library | None] = reactive(None, init=False)
    _tally = ""
    _opening: str | None = None

    def completed(self, notice: str | None) -> None:
        """Show ``notice`` (a lesson just finished) above the list, where it covers nothing; None hides it."""
        if not self.is_mounted:
            return
        found = self.query("#completed")
        if not found and notice:  # mounted the first time there is something to say
            self.mount(Static(notice, id="completed", markup=False), after=self.query_one(Masthead))
        elif found:
            line = found.first(Static)
            line.update(notice or "")
            line.display = bool(notice)

    def opening(self, title: str | None) -> None:
        """Say that lesson ``title`` is opening (chosen before what lessons need was ready); None: done."""
        self._opening = title
        if self.is_mounted:
            self.query_one(Masthead).tally = f"Opening {title}…" if title else self._tally

    def compose(self) -> ComposeResult:
        yield Masthead(id="masthead")
        if self.library is None:
            yield Static("Loading lessons…", id="loading")
        else:  # known before the first frame (the catalog index): the first frame is the list
            yield from self._body(self.library)
        yield TutorFooter(compact=True)

    def on_mount(self) -> None:
        if self.library is not None:
            self._shown(self.library, fill=False)  # filled when the screen is first shown (on_screen_resume)

    def _body(self, library: Library) -> list[Widget]:
        """The list, the details of the highlighted lesson, and what went wrong."""
        widgets: list[Widget] = [LessonList(id="lessons"), LessonDetails(library, id="details")]
        if library.store_error:
            widgets.insert(0, Static(f"Progress will not be saved: {safe(library.store_error)}", id="store-error",
                                     markup=False))
        problems = library.index.problems
        if problems:
            notice = VerticalScroll(Static("\n".join(safe(p) for p in problems), markup=False), id="problems")
            notice.border_title = "Some lesson files have problems (these lessons are left out)"
            widgets.append(notice)
        if not library.index.lessons:
            widgets = [Static("No lessons found.", id="empty"), *widgets[2:]]
        for widget in widgets:
            widget.add_class("-body")
        return widgets

    def _shown(self, library: Library, fill: bool = True) -> None:
        """The body is mounted: fill the list, focus it, and tell the app once it is on the screen."""
        self.fit_size(self.app.size)
        if fill:
            self.refresh_lessons()
        if library.index.lessons:
            self.focus_soon(self.query_one(LessonList))
        self.call_after_refresh(self.post_message, self.ListShown())

    async def watch_library(self, library: Library | None) -> None:
        if library is None:
            return
        await self.query(".-body, #loading").remove()
        await self.mount_all(self._body(library), before=self.query_one(TutorFooter))
        self._shown(library)

    def catalog_changed(self) -> None:
        """The lessons that loaded differ from the list shown (a file changed meanwhile): show them."""
        if self.library is not None and self.is_mounted:
            self.run_worker(self.watch_library(self.library), exclusive=True, group="body")

    def refresh_lessons(self, select: str | None = None) -> None:
        """Show current progress (after a lesson, a reset), highlighting ``select`` if given."""
        if self.library is None or not self.library.index.lessons:
            return
        if not self.query(LessonList):  # resumed before watch_library has mounted the list
            return
        statuses = self.library.statuses()
        done = sum(s.complete for s in statuses)
        self._tally = f"{done} of {len(statuses)} lessons done"
        if self._opening is None:
            self.query_one(Masthead).tally = self._tally
        lessons = self.query_one(LessonList)
        lessons.show(statuses, select, due=self.library.due_count())
        self._show_details()

    def on_screen_resume(self) -> None:
        self.refresh_lessons()

    @on(OptionList.OptionHighlighted, "#lessons")
    def _show_details(self) -> None:
        if self.library is None:
            return
        lessons = self.query_one(LessonList)
        option = lessons.highlighted_option
        by_id = {s.id: s for s in lessons.statuses}
        details = self.query_one(LessonDetails)
        details.status = by_id.get(option.id) if option and option.id else None
        if option is not None and option.id == REVIEW_ROW:
            details.update(f"{lessons.due} quiz{'zes' * (lessons.due != 1)} due for review, each with numbers "
                           "you have not seen. Enter to start.")

    @on(OptionList.OptionSelected, "#lessons")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == REVIEW_ROW:
            self.post_message(self.OpenReview())
        elif event.option.id:
            self.post_message(self.OpenLesson(event.option.id))
