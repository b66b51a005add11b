"""A lesson plot: a computed ``PlotData`` laid out by ``ce_tutor.plotting``, in the app theme's colours."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.geometry import Region
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from ce_tutor.tui.colors import theme_color

if TYPE_CHECKING:
    from ce_tutor.formula import Budget
    from ce_tutor.lessons.plots import PlotData
    from ce_tutor.plotting import Canvas

#: The theme colours of the series and of the markers, in order.
SERIES_COLORS = ("primary", "accent", "success", "error", "secondary", "warning")
MARKER_COLORS = ("warning", "error", "success", "accent", "secondary", "primary")


class LessonPlot(Widget):
    """Draws what ``compute(max_points)`` returns.

    ``compute`` is lesson work: it runs in a worker thread (so it must be safe to call from one), started
    by :meth:`recompute` when the widget's width changes or when its owner says the values changed; the
    latest request wins (an older one is cancelled, and its result dropped). A ValueError from it (a lesson
    problem, or the plot's budget running out) is shown in place of the plot. The numbers are laid out
    when they arrive, never in :meth:`render`, which only colours the grid laid out last. After a
    recomputation only the parts of rows that changed are repainted, so an explorer step sends little
    to the terminal.
    """

    DEFAULT_CSS = """
    LessonPlot { background: $surface; min-height: 8; }
    """

    def __init__(
        self, compute: Callable[[int], PlotData | None], *, ascii: bool = False, id: str | None = None  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self._compute = compute
        self.ascii = ascii
        self.data: PlotData | None = None
        self.problem: str | None = None
        self.canvas: Canvas | None = None
        self._points = 0
        self._laid_out: tuple[object, ...] = ()
        self._picture = Text()
        self._painted: tuple[object, ...] = ()
        self._requests = 0  #: recomputations asked for; only the latest one's result is shown
        self._shown = 0  #: the recomputation whose result is shown
        self._budget: Budget | None = None  #: the work of the latest one, while it runs

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def on_unmount(self) -> None:
        # The signal's list of subscribers holds the plot (through its callback) until the theme next
        # changes: without this, every plot of a lesson stayed alive, with its picture, to the end.
        self.app.theme_changed_signal.unsubscribe(self)
        self.cancel_work()

    def cancel_work(self) -> None:
        """Stop the computation in progress (it is for nobody: a newer one, or the plot is going away)."""
        if self._budget is not None:
            self._budget.cancel()
            self._budget = None

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._points:
            self.recompute()

    @property
    def plain_glyphs(self) -> bool:
        """ASCII glyphs (``--ascii``). Without colour the Unicode glyphs tell series and markers apart too."""
        return self.ascii

    def recompute(self) -> None:
        """Compute the plot again (about one point per column) in a worker thread; when it is done, it is
        laid out and the rows that changed are repainted."""
        if not self.size.width:  # not laid out yet: the first resize computes it
            return
        from ce_tutor.formula import Budget

        self._points = self.size.width
        self.cancel_work()
        self._requests += 1
        budget = self._budget = Budget(math.inf, 2**62, "this plot")  # only cancelled: the compute has its own
        self.run_worker(partial(self._work, self._requests, self._points, budget), thread=True, group="plot",
                        exclusive=True, exit_on_error=False)

    def _work(self, request: int, points: int, budget: Budget) -> tuple[int, PlotData | None, str | None] | None:
        """In the worker thread: the plot's numbers, or why there are none (None: cancelled)."""
        from ce_tutor.formula import WorkLimitExceeded

        if request != self._requests:
            return None  # a newer request's worker is on its way
        try:
            with budget:
                return request, self._compute(max(points, 2)), None
        except ValueError as exc:  # a lesson problem (ce-tutor check finds it): said in place of the plot
            return request, None, f"This plot cannot be drawn: {exc}"
        except WorkLimitExceeded as exc:
            if exc.reason == "cancelled":
                return None
            return request, None, f"This plot cannot be drawn: {exc}"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "plot" or event.worker.node is not self:
            return
        event.stop()
        if event.state is WorkerState.SUCCESS:
            result = event.worker.result
            if result is not None and result[0] == self._requests and self.is_attached:
                self._budget = None
                self._shown = result[0]
                self._show(result[1], result[2])
        elif event.state is WorkerState.ERROR and self.is_attached:  # a bug: a message, not a crash
            self._shown = self._requests
            self._show(None, f"This plot cannot be drawn: something went wrong ({event.worker.error})")

    def _show(self, data: PlotData | None, problem: str | None) -> None:
        """Lay out newly computed numbers, and repaint the parts of rows that changed."""
        self.data, self.problem = data, problem
        before = self.canvas.lines() if self.canvas is not None else None
        self._layout()
        after = self.canvas.lines() if self.canvas is not None else None
        if before is None or after is None or len(before) != len(after):
            self.refresh()
            return
        width = self.size.width
        for y, (old, new) in enumerate(zip(before, after, strict=True)):
            if old != new:  # repaint only the span of the row that changed
                old, new = old.ljust(width), new.ljust(width)
                first = next(x for x in range(width) if old[x] != new[x])
                last = next(x for x in range(width - 1, -1, -1) if old[x] != new[x])
                self.refresh(Region(first, y, last - first + 1, 1))

    def _layout(self) -> None:
        from ce_tutor.plotting import layout

        size = self.size
        if self.data is None or size.area == 0:
            self.canvas = None
        else:
            self.canvas = layout(self.data, size.width, size.height, ascii=self.plain_glyphs)
        self._laid_out = (size, self.plain_glyphs)
        self._painted = ()

    @property
    def settled(self) -> bool:
        """Whether the plot shows the result of the latest computation asked for (none asked: not laid out)."""
        return self._requests > 0 and self._shown == self._requests

    def render(self) -> RenderResult:
        if self.size.width and not self.settled and self._budget is None:
            # the latest computation was cancelled or dropped with no newer one on its way: ask again
            self.call_later(self.recompute)
        if self._laid_out != (self.size, self.plain_glyphs):  # resized (the numbers follow a new width)
            self._layout()
        key = (id(self.canvas), self.app.theme)
        if self._painted != key:
            self._picture = self._paint()
            self._painted = key
        return self._picture

    def _paint(self) -> Text:
        """The laid-out grid as Rich text, each style key in its theme colour."""
        if self.canvas is None:
            return Text(self.problem or "", style="italic")
        styles = self._styles()
        text = Text(no_wrap=True, overflow="crop", end="")
        for row in range(self.canvas.height):
            for chunk, key in self.canvas.runs(row):
                text.append(chunk, styles.get(key))
            if row < self.canvas.height - 1:
                text.append("\n")
        return text

    def _styles(self) -> dict[str, Style | str]:
        app = self.app

        def color(variable: str, **kw: bool) -> Style:
            try:
                return Style.parse(theme_color(app, variable)) + Style(**kw)
            except Exception:  # noqa: BLE001 - a theme colour Rich cannot read (one with alpha): no colour
                return Style(**kw)

        styles: dict[str, Style | str] = {
            "axis": Style(dim=True),
            "tick": color("foreground"),
            "label": Style(italic=True),
            "title": Style(bold=True),
            "legend": color("foreground"),
            "value": Style(bold=True),
            "clip": Style(bold=True),
            "note": Style(italic=True),
        }
        for i, variable in enumerate(SERIES_COLORS):
            styles[f"s{i}"] = color(variable)
        for i, variable in enumerate(MARKER_COLORS):
            styles[f"m{i}"] = color(variable, bold=True)
        return styles
