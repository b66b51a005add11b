"""Colours from the app's theme, for renderables that are not styled by the stylesheet (Rich, plotext)."""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError


def theme_color(app: App[object], variable: str, fallback: str = "default") -> str:
    """A theme variable as a colour Rich understands (``fallback`` if it is not a plain colour)."""
    value = app.theme_variables.get(variable, "")
    try:
        return Color.parse(value).hex
    except ColorParseError:
        return fallback


def theme_rgb(app: App[object], variables: tuple[str, ...]) -> tuple[tuple[int, int, int], ...]:
    """Theme variables as RGB triples (for plotext), skipping any that are not plain colours."""
    found = []
    for variable in variables:
        try:
            found.append(Color.parse(app.theme_variables.get(variable, "")).rgb)
        except ColorParseError:
            continue
    return tuple(found)
