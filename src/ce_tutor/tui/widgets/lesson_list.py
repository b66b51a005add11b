"""The curriculum as a list: one row per lesson with its progress and unmet prerequisites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RichVisual, Visual
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ce_tutor.text import safe
from ce_tutor.tui.colors import theme_color

if TYPE_CHECKING:
    from ce_tutor.tui.library import LessonStatus


#: The option id of the "Review: N due" row (lesson ids cannot start with '-').
REVIEW_ROW = "-review"


class LessonList(OptionList):
    """The lessons in curriculum order; the option ids are the lesson ids."""

    DEFAULT_CSS = """
    LessonList { height: auto; max-height: 1fr; }
    """
    BINDINGS = [Binding("enter", "select", "Open lesson")]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.statuses: Sequence[LessonStatus] = ()
        self.due = 0

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.show(self.statuses, due=self.due))

    def show(self, statuses: Sequence[LessonStatus], select: str | None = None, due: int = 0) -> None:
        """Replace the rows, keeping the highlighted lesson (or highlighting ``select``, or "next up"); with
        ``due`` review cards, a "Review: N due" row comes first."""
        current = self.highlighted_option.id if self.highlighted_option is not None else None
        self.statuses, self.due = statuses, due
        review = [Option(self._review_row(due), id=REVIEW_ROW)] if due else []
        self.set_options([*review, *(Option(self._row(s), id=s.id) for s in statuses)])
        ids = [REVIEW_ROW] * bool(due) + [s.id for s in statuses]
        target = select or current or next((s.id for s in statuses if s.next_up), None)
        if ids:
            self.highlighted = ids.index(target) if target in ids else 0

    def _progress(self, status: LessonStatus) -> Text:
        """"✓ done", "▶ next up", "40%" or nothing: always a word or a number, never a colour alone."""
        if status.complete:
            return Text("✓ done", style=theme_color(self.app, "text-success"))
        if status.next_up:
            started = f" {status.percent}%" if status.percent else ""
            return Text(f"▶ next up{started}", style=f"bold {theme_color(self.app, 'text-accent')}")
        if status.progress is not None:  # (a damaged date leaves last_visited None)
            return Text(f"{status.percent}%")
        return Text("")

    def _review_row(self, due: int) -> _Row:
        title = Text(f"Review: {due} due", style=f"bold {theme_color(self.app, 'text-accent')}")
        return _Row(self, [("↻", title, None)])

    def _row(self, status: LessonStatus) -> _Row:
        """The number, the title and the progress; below, in a second line, unmet prerequisites."""
        lines = [(f"{status.number}.", Text(safe(status.title, one_line=True)), self._progress(status))]
        if status.missing:
            needs = ", ".join(safe(title, one_line=True) for title in status.missing_titles)
            lines.append(("", Text(f"needs: {needs}", style="dim italic"), Text("")))
        return _Row(self, lines)


#: A row's line: the number (right-aligned in :data:`NUMBER` cells), the text, which takes what is left and
#: ends in an ellipsis if it must, and the progress (in :data:`PROGRESS` cells; None: no progress column).
Line = tuple[str, Text, "Text | None"]
NUMBER, PROGRESS = 3, 13


class _Row(Visual):
    """One lesson's row, laid out by hand in columns (a Rich table per row cost more than the rest of the
    first frame), with a height known without rendering it: OptionList measures every option's height, and
    a catalog of 10,000 lessons must not be rendered to be measured. Drawn only when on screen."""

    def __init__(self, widget: Widget, lines: list[Line]) -> None:
        self._widget = widget
        self._lines = lines

    def text(self, width: int) -> Text:
        """The row at ``width`` cells: each line exactly that wide."""
        out = Text(no_wrap=True, overflow="crop", end="")
        for i, (number, text, progress) in enumerate(self._lines):
            room = width - NUMBER - 1 - (PROGRESS + 1 if progress is not None else 0)
            if i:
                out.append("\n")
            out.append(number.rjust(NUMBER) + " ")
            cell = text.copy()
            cell.truncate(max(room, 1), overflow="ellipsis", pad=True)
            out.append_text(cell)
            if progress is not None:
                right = progress.copy()
                right.truncate(PROGRESS, overflow="ellipsis", pad=True)
                out.append(" ")
                out.append_text(right)
        return out

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return RichVisual(self._widget, self.text(width)).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self._lines)
