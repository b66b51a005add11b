"""A lesson plot: computed ``PlotData`` drawn with plotext, in the app theme's colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from ce_tutor.plotting import draw
from ce_tutor.tui.colors import theme_rgb

if TYPE_CHECKING:
    from ce_tutor.lessons.plots import PlotData

#: The theme colours of the series, in order.
SERIES_COLORS = ("primary", "accent", "success", "error", "secondary", "warning")
#: plotext's frame and tick characters, and their plain-ASCII stand-ins (for ``--ascii``).
_ASCII_FRAME = str.maketrans("─│┌┐└┘├┤┬┴┼", "-|+++++++++")


class LessonPlot(PlotextPlot):
    """Draws what ``compute(max_points)`` returns.

    The numbers are computed in :meth:`recompute` (when the widget's width changes, or when its owner
    says the values changed), never in :meth:`render`, which only draws, and only when something changed.
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
        self._version = 0
        self._points = 0
        self._drawn: tuple[object, ...] = ()
        self._picture: RenderResult = ""

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._points:
            self.recompute()

    def recompute(self) -> None:
        """Compute the plot again (about one point per column) and redraw it."""
        self._points = self.size.width
        try:
            self.data, self.problem = self._compute(max(self._points, 2)), None
        except ValueError as exc:  # a lesson problem (ce-tutor check finds it): say so in place of the plot
            self.data, self.problem = None, f"This plot cannot be drawn: {exc}"
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        state = (self._version, self.size, self.app.theme)
        if state == self._drawn:
            return self._picture
        if self.data is None or self.size.area == 0:
            self._picture = Text(self.problem or "", style="italic")
        else:
            draw(self.plt, self.data, ascii=self.ascii or self.app.no_color,
                 colors=theme_rgb(self.app, SERIES_COLORS))  # type: ignore[arg-type]
            picture = super().render()
            if self.ascii and isinstance(picture, Text):
                picture.plain = picture.plain.translate(_ASCII_FRAME)
            self._picture = picture
        self._drawn = state
        return self._picture
