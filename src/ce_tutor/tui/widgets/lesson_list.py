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


class LessonList(OptionList):
    """The lessons in curriculum order; the option ids are the lesson ids."""

    DEFAULT_CSS = """
    LessonList { height: auto; max-height: 1fr; }
    """
    BINDINGS = [Binding("enter", "select", "Open lesson")]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.statuses: Sequence[LessonStatus] = ()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.show(self.statuses))

    def show(self, statuses: Sequence[LessonStatus], select: str | None = None) -> None:
        """Replace the rows, keeping the highlighted lesson (or highlighting ``select``, or "next up")."""
        current = self.highlighted_option.id if self.highlighted_option is not None else None
        self.statuses = statuses
        self.set_options(Option(_Row(self, self._row(s), 1 + bool(s.missing)), id=s.id) for s in statuses)
        ids = [s.id for s in statuses]
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
        if status.progress is not None and status.progress.last_visited is not None:
            return Text(f"{status.percent}%")
        return Text("")

    def _row(self, status: LessonStatus) -> Table:
        """The number, the title and the progress; below, in a second line, unmet prerequisites."""
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(width=3, justify="right")
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(width=13, no_wrap=True)
        grid.add_row(f"{status.number}.", Text(safe(status.title, one_line=True)), self._progress(status))
        if status.missing:
            grid.add_row("", Text(f"needs: {', '.join(status.missing)}", style="dim italic"), "")
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
