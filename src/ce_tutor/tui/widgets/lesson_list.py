"""The curriculum as a list: one row per lesson with its progress and unmet prerequisites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
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
        review = [Option(_Row(self, self._review_row(due), 1), id=REVIEW_ROW)] if due else []
        self.set_options([*review, *(Option(_Row(self, self._row(s), 1 + bool(s.missing)), id=s.id)
                                     for s in statuses)])
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

    def _review_row(self, due: int) -> Table:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(width=3, justify="right")
        grid.add_column(ratio=1, no_wrap=True)
        grid.add_row("↻", Text(f"Review: {due} due", style=f"bold {theme_color(self.app, 'text-accent')}"))
        return grid

    def _row(self, status: LessonStatus) -> Table:
        """The number, the title and the progress; below, in a second line, unmet prerequisites."""
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(width=3, justify="right")
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(width=13, no_wrap=True)
        grid.add_row(f"{status.number}.", Text(safe(status.title, one_line=True)), self._progress(status))
        if status.missing:
            needs = ", ".join(safe(title, one_line=True) for title in status.missing_titles)
            grid.add_row("", Text(f"needs: {needs}", style="dim italic"), "")
        return grid


class _Row(Visual):
    """A row whose height is known without rendering it: OptionList measures every option's height, and a
    Rich table rendered only to be measured made a catalog of 10,000 lessons take minutes to show. Each
    row is one line (no column wraps), two with unmet prerequisites; it is drawn only when on screen."""

    def __init__(self, widget: Widget, renderable: Table, lines: int) -> None:
        self._visual = RichVisual(widget, renderable)
        self._lines = lines

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self._visual.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._lines
