"""Colours from the app's theme, for renderables that are not styled by the stylesheet (Rich, plotext).

ANSI themes (such as ``ansi-dark``) name the terminal's own colours; they are passed on as colour
numbers (or the terminal's default), never as RGB approximations.
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError

#: A colour plotext understands: a 256-colour number, or an RGB triple.
PlotColor = int | tuple[int, int, int]


def _parse(app: App[object], variable: str) -> Color | None:
    try:
        return Color.parse(app.theme_variables.get(variable, ""))
    except ColorParseError:
        return None


def is_ansi_theme(app: App[object]) -> bool:
    """Whether the theme uses the terminal's own colours."""
    color = _parse(app, "foreground")
    return color is not None and color.ansi is not None


def theme_color(app: App[object], variable: str, fallback: str = "default") -> str:
    """A theme variable as a colour Rich understands (``fallback`` if it is not a plain colour)."""
    color = _parse(app, variable)
    if color is None:
        return fallback
    if color.ansi is not None:
        return "default" if color.ansi < 0 else f"color({color.ansi})"
    return color.hex


def plot_colors(app: App[object], variables: tuple[str, ...]) -> tuple[PlotColor, ...]:
    """Theme variables as plotext colours, skipping any that are not plain colours."""
    found: list[PlotColor] = []
    for variable in variables:
        color = _parse(app, variable)
        if color is not None and color.ansi is not None:
            if color.ansi >= 0:
                found.append(color.ansi)
        elif color is not None:
            found.append(color.rgb)
    return tuple(found)
