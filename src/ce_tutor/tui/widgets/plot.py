"""A lesson plot: computed ``PlotData`` drawn with plotext, in the app theme's colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.geometry import Region
from textual_plotext import PlotextPlot

from ce_tutor.plotting import draw
from ce_tutor.tui.colors import is_ansi_theme, plot_colors

if TYPE_CHECKING:
    from ce_tutor.lessons.plots import PlotData

#: The theme colours of the series, in order.
SERIES_COLORS = ("primary", "accent", "success", "error", "secondary", "warning")
#: plotext's frame and tick characters, and their plain-ASCII stand-ins (for ``--ascii``).
_ASCII_FRAME = str.maketrans("─│┌┐└┘├┤┬┴┼", "-|+++++++++")


class LessonPlot(PlotextPlot):
    """Draws what ``compute(max_points)`` returns.

    The numbers are computed in :meth:`recompute` (when the widget's width changes, or when its owner
    says the values changed), never in :meth:`render`, which only hands out the picture drawn last. After
    a recomputation only the rows that changed are repainted, so an explorer step sends little to the
    terminal.
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
        self._points = 0
        self._drawn: tuple[object, ...] = ()
        self._picture = Text()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._follow_theme())
        self._follow_theme()

    def on_unmount(self) -> None:
        # The signal's list of subscribers holds the plot (through its callback) until the theme next
        # changes: without this, every plot of a lesson stayed alive, with its picture, to the end.
        self.app.theme_changed_signal.unsubscribe(self)

    def _follow_theme(self) -> None:
        """plotext's "clear" theme (the terminal's own colours) for ANSI themes, else the app's colours."""
        self.theme = "clear" if is_ansi_theme(self.app) else "auto"

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._points:
            self.recompute()

    def recompute(self) -> None:
        """Compute the plot again (about one point per column), draw it, and repaint the rows that changed."""
        if not self.size.width:  # not laid out yet: the first resize computes it
            return
        self._points = self.size.width
        try:
            self.data, self.problem = self._compute(max(self._points, 2)), None
        except ValueError as exc:  # a lesson problem (ce-tutor check finds it): say so in place of the plot
            self.data, self.problem = None, f"This plot cannot be drawn: {exc}"
        before, size = self._picture.split(), self.size
        self._draw()
        after = self._picture.split()
        if len(before) != len(after):
            self.refresh()
            return
        for y, (old, new) in enumerate(zip(before, after, strict=True)):
            if old != new:
                self.refresh(Region(0, y, size.width, 1))

    def render(self) -> RenderResult:
        if self._drawn != (self.size, self.app.theme):  # resized, or the theme changed
            self._draw()
        return self._picture

    def _draw(self) -> None:
        if self.data is None or self.size.area == 0:
            self._picture = Text(self.problem or "", style="italic")
        else:
            draw(self.plt, self.data, ascii=self.ascii or self.app.no_color,
                 colors=plot_colors(self.app, SERIES_COLORS))
            picture = super().render()
            assert isinstance(picture, Text)
            if self.ascii:
                picture.plain = picture.plain.translate(_ASCII_FRAME)
            self._picture = picture
        self._drawn = (self.size, self.app.theme)
