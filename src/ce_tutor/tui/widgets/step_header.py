"""The player's header: the lesson title, the step's title, and "step 3/9" with a small progress bar."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from ce_tutor.text import safe

from ce_tutor.tui.colors import theme_color

BAR_WIDTH = 12


class StepHeader(Widget):
    """Two lines: lesson title and position (with a bar) on top, the step's title below, and at its right a
    ``note`` (the prerequisites not done yet), where it covers nothing of the step."""

    DEFAULT_CSS = """
    StepHeader { height: 2; padding: 0 1; background: $panel; }
    """

    lesson: reactive[str] = reactive("")
    step_title: reactive[str] = reactive("")
    index: reactive[int] = reactive(0)
    total: reactive[int] = reactive(1)
    note: reactive[str] = reactive("")

    def render(self) -> RenderResult:
        done = round(BAR_WIDTH * (self.index + 1) / max(self.total, 1))
        bar = Text()
        bar.append("━" * done, style=theme_color(self.app, "primary"))
        bar.append("─" * (BAR_WIDTH - done), style="dim")
        position = Text.assemble(f"step {self.index + 1}/{self.total} ", bar)
        grid = Table.grid(expand=True, padding=(0, 0, 0, 2))
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text(safe(self.lesson, one_line=True), style="bold"), position)
        title = Text(safe(self.step_title, one_line=True), style=f"bold {theme_color(self.app, 'text-accent')}")
        note = Text(safe(self.note, one_line=True), style="italic", no_wrap=True, overflow="ellipsis")
        room = self.size.width - 2 - 2  # padding, and the gap between the columns
        note.truncate(max(room - title.cell_len, room // 3, 0), overflow="ellipsis")  # what the title leaves
        grid.add_row(title, note)
        return grid
