"""An explorer: parameters the learner moves with the keys, with live lines and a live plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ce_tutor.tui.colors import theme_color
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.markdown import LessonMarkdown

if TYPE_CHECKING:
    from ce_tutor.lessons.explore import Explorer
    from ce_tutor.lessons.schema import Param

SLIDER_WIDTH = 21


def decimals(step: float) -> int:
    """How many decimals show a value moved by ``step`` (0.1 → 1, 0.25 → 2, 1 → 0)."""
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def format_number(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace("-", "−")


class ParamRow(Widget):
    """One parameter: ▶ when chosen, its label, value, and a slider between its bounds."""

    DEFAULT_CSS = """
    ParamRow { height: 1; }
    ParamRow.-selected { background: $boost; }
    """

    value: reactive[float] = reactive(0.0)
    selected: reactive[bool] = reactive(False)

    class Chosen(Message):
        """The learner clicked this row."""

        def __init__(self, row: ParamRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, param: Param, bounds: tuple[float, float], label_width: int, number_width: int) -> None:
        super().__init__()
        self.label = param.label or param.name
        self.low, self.high = bounds
        self.places = decimals(param.step)
        self.label_width, self.number_width = label_width, number_width

    def watch_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Chosen(self))

    def render(self) -> RenderResult:
        accent = theme_color(self.app, "text-accent")
        share = (self.value - self.low) / (self.high - self.low)
        knob = min(SLIDER_WIDTH - 1, max(0, round(share * (SLIDER_WIDTH - 1))))
        slider = Text()
        slider.append("━" * knob, style=theme_color(self.app, "primary"))
        slider.append("●", style=f"bold {accent}" if self.selected else "bold")
        slider.append("─" * (SLIDER_WIDTH - 1 - knob), style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)
        grid.add_column(width=self.label_width, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", width=self.number_width)
        grid.add_column(justify="right", width=self.number_width)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_row(
            Text("▶", style=accent) if self.selected else "",
            Text(self.label, style="bold" if self.selected else ""),
            Text(format_number(self.value, self.places), style="bold"),
            Text(format_number(self.low, self.places), style="dim"),
            slider,
            Text(format_number(self.high, self.places), style="dim"),
        )
        return grid


class ExplorerView(VerticalScroll, inherit_bindings=False):
    """The step's text, a row per parameter, the live ``show`` lines and the live plot."""

    DEFAULT_CSS = """
    ExplorerView { padding: 0 1; scrollbar-size-vertical: 1; }
    ExplorerView #params { height: auto; }
    ExplorerView #lines { height: auto; margin: 1 0 0 2; }
    ExplorerView LessonPlot { height: 1fr; min-height: 8; }
    ExplorerView Markdown { margin: 0; padding: 0; }
    """

    BINDINGS = [
        Binding("right", "nudge(1)", "Move", key_display="←→"),
        Binding("left", "nudge(-1)", "Move", show=False),
        Binding("plus,equals_sign", "nudge(1)", "Move", show=False),
        Binding("minus,underscore", "nudge(-1)", "Move", show=False),
        Binding("shift+right,pageup", "nudge(1, True)", "Move", show=False),
        Binding("shift+left,pagedown", "nudge(-1, True)", "Move", show=False),
        Binding("down,tab", "choose(1)", "Value", key_display="↑↓"),
        Binding("up,shift+tab", "choose(-1)", "Value", show=False),
        Binding("0,r", "reset", "Reset", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]

    selected: reactive[int] = reactive(0, init=False)

    def __init__(self, explorer: Explorer, *, has_plot: bool, ascii: bool = False) -> None:
        super().__init__()
        self.can_focus = True
        self.explorer = explorer
        self.has_plot = has_plot
        self.ascii = ascii
        self._text = explorer.text()
        self._lines: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        if self._text:
            yield LessonMarkdown(self._text)
        params = self.explorer.params
        bounds = [self._bounds(p) for p in params]
        label_width = max(len(p.label or p.name) for p in params)
        number_width = max(
            len(format_number(x, decimals(p.step))) for p, ends in zip(params, bounds, strict=True) for x in ends
        )
        with Vertical(id="params"):
            for param, ends in zip(params, bounds, strict=True):
                yield ParamRow(param, ends, label_width, number_width)
        with Vertical(id="lines"):
            for _ in range(max(1, len(self.explorer.step.show))):  # one widget a line (a problem needs one)
                yield Static(markup=False)
        if self.has_plot:
            yield LessonPlot(self.explorer.plot, ascii=self.ascii)

    def on_mount(self) -> None:
        self.show_values()
        self.watch_selected(self.selected)

    def show_values(self) -> None:
        """Push the explorer's current values down to the rows, the lines and the plot."""
        for row, param in zip(self.query(ParamRow), self.explorer.params, strict=True):
            ends = self._bounds(param)
            if ends != (row.low, row.high):
                row.low, row.high = ends
                row.refresh()
            row.value = self.explorer.values[param.name]
        try:
            lines, text = self.explorer.lines(), self.explorer.text()
        except ValueError as exc:  # a lesson problem at these values: say so, and let the learner move on
            lines, text = [f"✗ Cannot compute this: {exc}"], self._text
        box = self.query_one("#lines")
        box.display = any(lines)
        for i, line in enumerate(box.query(Static)):  # only the lines that change are repainted
            content = lines[i] if i < len(lines) else ""
            if content != self._lines.get(i):
                self._lines[i] = content
                line.update(content)
        if text and self._text and text != self._text:
            self._text = text
            self.query_one(LessonMarkdown).update(text)
        for plot in self.query(LessonPlot):
            plot.recompute()

    def _bounds(self, param: Param) -> tuple[float, float]:
        """The param's range now (it may follow other params); its start and value if it cannot be computed
        (the lines then say what is wrong)."""
        try:
            return self.explorer.bounds(param.name)
        except ValueError:
            value = self.explorer.values[param.name]
            return (min(value, param.value), max(value, param.value) + param.step)

    def watch_selected(self, selected: int) -> None:
        for i, row in enumerate(self.query(ParamRow)):
            row.selected = i == selected

    def on_param_row_chosen(self, event: ParamRow.Chosen) -> None:
        self.selected = list(self.query(ParamRow)).index(event.row)
        self.focus()

    def action_nudge(self, direction: int, big: bool = False) -> None:
        name = self.explorer.params[self.selected].name
        if self.explorer.nudge(name, direction, big=big):
            self.show_values()

    def action_choose(self, step: int) -> None:
        self.selected = (self.selected + step) % len(self.explorer.params)

    def action_reset(self) -> None:
        self.explorer.reset()
        self.show_values()
