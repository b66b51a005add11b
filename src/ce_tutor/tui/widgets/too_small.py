"""The message shown instead of a screen when the terminal is smaller than the app can lay out."""

from __future__ import annotations

from textual.app import RenderResult
from textual.widget import Widget

MIN_WIDTH = 60
MIN_HEIGHT = 20


def is_too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmall(Widget):
    """Fills a screen whose terminal is too small; screens show it through their ``-too-small`` class."""

    DEFAULT_CSS = """
    TooSmall {
        display: none;
        width: 100%;
        height: 100%;
        content-align: center middle;
        text-align: center;
        background: $background;
        color: $text;
    }
    """

    def render(self) -> RenderResult:
        width, height = self.app.size
        return f"Enlarge the terminal to at least {MIN_WIDTH}×{MIN_HEIGHT} (now {width}×{height})"
