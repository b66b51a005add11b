"""An explorer: parameters the learner moves with the keys, with live lines and a live plot."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import partial
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
from textual.worker import Worker, WorkerState

from ce_tutor.tui.colors import theme_color
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.markdown import LessonMarkdown

if TYPE_CHECKING:
    from ce_tutor.formula import Budget
    from ce_tutor.lessons.explore import Explorer
    from ce_tutor.lessons.plots import PlotData
    from ce_tutor.lessons.schema import Param

SLIDER_WIDTH = 21


#: The work one move of an explorer's parameter may do for its lines and text (its plot is computed apart),
#: in a worker thread; the moves themselves (the params whose range follows others) have as much again.
NUDGE_BUDGET_S = 0.5
NUDGE_BUDGET_OUTPUT = 200_000


@dataclass(frozen=True)
class ExplorerState:
    """What an explorer shows at some values, computed off the UI thread (see :func:`explorer_state`):
    each param's value and range, the ``show`` lines and the text (None: keep the text shown).
    ``moves`` is how many of the view's moves it includes, so that a result for older values is dropped."""

    values: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    lines: list[str]
    text: str | None
    moves: int = 0


def param_bounds(explorer: Explorer, param: Param) -> tuple[float, float]:
    """The param's range now (it may follow other params); its start and value if it cannot be computed
    (the lines then say what is wrong)."""
    try:
        return explorer.bounds(param.name)
    except ValueError:
        value = explorer.values[param.name]
        return (min(value, param.value), max(value, param.value) + param.step)


def explorer_state(explorer: Explorer, moves: int = 0) -> ExplorerState:
    """Compute what ``explorer`` shows at its values: lesson work, for a worker thread (under a budget).

    A lesson problem at these values (a formula that fails, the budget running out) becomes the one line
    shown; only cancelling raises (WorkLimitExceeded)."""
    from ce_tutor.formula import WorkLimitExceeded

    values = dict(explorer.values)
    bounds = {p.name: param_bounds(explorer, p) for p in explorer.params}
    text: str | None
    try:
        lines, text = explorer.lines(), explorer.text()
    except ValueError as exc:  # a lesson problem at these values: say so, move on
        lines, text = [f"✗ Cannot compute this: {exc}"], None
    except WorkLimitExceeded as exc:
        if exc.reason == "cancelled":
            raise
        lines, text = [f"✗ Cannot compute this: {exc}"], None
    return ExplorerState(values, bounds, lines, text, moves)


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
    """The step's text, a row per parameter, the live ``show`` lines and the live plot.

    A move (a key) shows the parameter's new value at once and has the explorer compute it in a worker
    thread (:meth:`_compute`), the lines and text following when they are ready, the plot in its own
    worker: the app's thread never runs the lesson's formulas, so Ctrl+Q and Esc answer at once. The
    explorer is only touched by one worker at a time (its ``lock``); moves are queued (``_moves``) and each
    worker first applies the ones waiting, so none is lost however fast the keys come; a result for older
    values than the latest move is dropped (the latest move's worker is on its way), and the work on it is
    cancelled.
    """

    DEFAULT_CSS = """
    ExplorerView { padding: 0 1; scrollbar-size-vertical: 1; }
    ExplorerView #params { height: auto; }
    ExplorerView #lines { height: auto; margin: 0 0 0 2; }
    ExplorerView LessonPlot { height: 1fr; min-height: 12; }
    ExplorerView Markdown { margin: 0; padding: 0; }
    ExplorerView #fold { height: 1; color: $text-muted; }
    """

    #: Below this many rows the text is folded to its first line (t unfolds it), so that sliders, values
    #: and a plot with a data area of 8 rows fit on one 80x24 screen.
    FOLD_BELOW = 32

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
        Binding("t", "fold", "Text", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]

    selected: reactive[int] = reactive(0, init=False)
    folded: reactive[bool] = reactive(False, init=False)

    def __init__(
        self, explorer: Explorer, *, has_plot: bool, ascii: bool = False, state: ExplorerState | None = None
    ) -> None:
        """``state`` is what the explorer shows at its values, computed off the UI thread (the step's
        worker does it); without it, it is computed here."""
        super().__init__()
        self.can_focus = True
        self.explorer = explorer
        self.has_plot = has_plot
        self.ascii = ascii
        state = state if state is not None else explorer_state(explorer)
        self._state = state  #: the last state computed for the latest move (UI thread)
        self.values = dict(state.values)  #: the values on the screen: the latest move's, at once (UI thread)
        self._text = state.text or ""
        self._lines: dict[int, str] = {}
        self._waiting: deque[tuple[str, int, bool] | None] = deque()  # moves not applied yet (None: reset)
        self._moves = 0  #: moves made (UI thread)
        self._applied = 0  #: moves applied to the explorer (under the lock)
        self._budgets: set[Budget] = set()  # the work in progress, cancelled when it is for nobody
        self._settling: Budget | None = None  # the move being applied, cancelled only when closing
        self._leaving = False

    def compose(self) -> ComposeResult:
        if self._text:
            yield Static(self._summary(), id="fold", markup=False)
            yield LessonMarkdown(self._text)
        params = self.explorer.params
        bounds = [self._state.bounds[p.name] for p in params]
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
            yield LessonPlot(self._plot, ascii=self.ascii)

    def on_mount(self) -> None:
        self._show(self._state)
        self.watch_selected(self.selected)
        self.folded = self.has_plot and self.app.size.height < self.FOLD_BELOW
        self.watch_folded(self.folded)

    def on_unmount(self) -> None:
        self.cancel_work()

    def cancel_work(self, closing: bool = True) -> None:
        """Stop the work in progress: the learner is leaving or the app is closing (``closing``), or a newer
        move makes what is being computed useless (the moves themselves are still applied then)."""
        for budget in list(self._budgets):
            budget.cancel()
        if closing:
            self._leaving = True
            settling = self._settling
            if settling is not None:
                settling.cancel()

    def _summary(self) -> str:
        """The text's first line, and how to see the rest."""
        first = next((line.strip() for line in self._text.splitlines() if line.strip()), "")
        return f"{first.replace('**', '').replace('`', '')}  (t: all the text)"

    def watch_folded(self, folded: bool) -> None:
        for fold in self.query("#fold"):
            fold.display = folded
        for text in self.query(LessonMarkdown):
            text.display = not folded

    def action_fold(self) -> None:
        if self._text:
            self.folded = not self.folded

    # -- moves (the app's thread) -------------------------------------------------------------------------
    def action_nudge(self, direction: int, big: bool = False) -> None:
        param = self.explorer.params[self.selected]
        moved = self.explorer.moved(self.values, param.name, direction, big, self._state.bounds[param.name])
        if moved == self.values and param.fixed_range:
            return  # at the end of a fixed range: nothing moves (a range that follows others may have moved)
        self._move((param.name, direction, big), moved)

    def action_choose(self, step: int) -> None:
        self.selected = (self.selected + step) % len(self.explorer.params)

    def action_reset(self) -> None:
        self._move(None, self.explorer.start_values())

    def _move(self, move: tuple[str, int, bool] | None, values: dict[str, float]) -> None:
        """Show ``values`` (the move worked out from what is on screen) at once; queue the move for the
        explorer, and compute it in a worker."""
        self._waiting.append(move)
        self._moves += 1
        self.values = values
        self._show_rows(self._state.bounds)
        self.show_values()

    def show_values(self) -> None:
        """Compute the explorer's lines and plot again, at its values after the moves queued (a worker)."""
        self.cancel_work(closing=False)  # what is being computed now is for older values: nobody waits for it
        from ce_tutor.formula import Budget

        budget = Budget(NUDGE_BUDGET_S, NUDGE_BUDGET_OUTPUT, "this explorer")
        self._budgets.add(budget)
        self.run_worker(partial(self._compute, self._moves, budget), thread=True, group="explore",
                        exclusive=True, exit_on_error=False)
        for plot in self.query(LessonPlot):
            plot.recompute()

    # -- the work (a worker thread) -----------------------------------------------------------------------
    def _settle(self) -> None:
        """Apply the moves waiting to the explorer (with its lock held), each as the explorer makes it: a
        range that follows other params is computed, and a param outside its range moved back in.

        Raises WorkLimitExceeded only when the view is going away (:meth:`cancel_work` with ``closing``)."""
        from ce_tutor.formula import Budget, WorkLimitExceeded

        while self._waiting:
            move = self._waiting[0]
            budget = self._settling = Budget(NUDGE_BUDGET_S, NUDGE_BUDGET_OUTPUT, "this explorer")
            if self._leaving:
                budget.cancel()
            try:
                with budget:
                    if move is None:
                        self.explorer.reset()
                    else:
                        self.explorer.nudge(*move)
            except ValueError:
                pass  # a range that cannot be computed: the lines say so (explorer_state)
            except WorkLimitExceeded as exc:
                if exc.reason == "cancelled":
                    raise  # the move stays queued, for nobody
            finally:
                self._settling = None
            self._waiting.popleft()
            self._applied += 1

    def _compute(self, moves: int, budget: Budget) -> ExplorerState | None:
        """The explorer's state after ``moves`` moves; None if a newer move came (or the work was cancelled)."""
        from ce_tutor.formula import WorkLimitExceeded

        try:
            if moves != self._moves:
                return None  # a newer move's worker is on its way
            with self.explorer.lock:
                self._settle()
                if moves != self._moves or self._applied != moves:
                    return None
                with budget:
                    return explorer_state(self.explorer, moves)
        except WorkLimitExceeded:  # cancelled (explorer_state turns running out into a message)
            return None
        finally:
            self._budgets.discard(budget)

    def _plot(self, max_points: int) -> PlotData | None:
        """The plot at the explorer's values after the moves queued (called in the plot's worker)."""
        from ce_tutor.tui.widgets.steps import within_plot_budget

        with self.explorer.lock:
            self._settle()
            return within_plot_budget(lambda: self.explorer.plot(max_points))

    # -- results (the app's thread) -----------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "explore" or event.worker.node is not self:
            return
        event.stop()
        if event.state is WorkerState.SUCCESS:
            state = event.worker.result
            if isinstance(state, ExplorerState) and state.moves == self._moves and self.is_attached:
                self._show(state)
        elif event.state is WorkerState.ERROR:  # not a lesson problem, but it costs a message, not the app
            self._show_lines([f"✗ Cannot compute this: something went wrong ({event.worker.error})"])

    def _show(self, state: ExplorerState) -> None:
        """Push a computed state down to the rows, the lines and the text."""
        self._state = state
        self.values = dict(state.values)
        self._show_rows(state.bounds)
        self._show_lines(state.lines)
        text = state.text
        if text and self._text and text != self._text:
            self._text = text
            self.query_one(LessonMarkdown).update(text)
            self.query_one("#fold", Static).update(self._summary())

    def _show_rows(self, bounds: dict[str, tuple[float, float]]) -> None:
        for row, param in zip(self.query(ParamRow), self.explorer.params, strict=True):
            ends = bounds[param.name]
            if ends != (row.low, row.high):
                row.low, row.high = ends
                row.refresh()
            row.value = self.values[param.name]

    def _show_lines(self, lines: list[str]) -> None:
        box = self.query_one("#lines")
        box.display = any(lines)
        for i, line in enumerate(box.query(Static)):  # only the lines that change are repainted
            content = lines[i] if i < len(lines) else ""
            if content != self._lines.get(i):
                self._lines[i] = content
                line.update(content)

    def watch_selected(self, selected: int) -> None:
        for i, row in enumerate(self.query(ParamRow)):
            row.selected = i == selected

    def on_param_row_chosen(self, event: ParamRow.Chosen) -> None:
        self.selected = list(self.query(ParamRow)).index(event.row)
        self.focus()
