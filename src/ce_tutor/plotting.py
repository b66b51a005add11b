"""Drawing a computed ``PlotData`` with plotext's API, for both front ends.

The plain mode passes the ``plotext`` module; the Textual app passes a ``PlotextPlot`` widget's ``plt``.
Nothing here computes a number: every value comes from ``ce_tutor.lessons.plots.compute_plot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ce_tutor.lessons.template import format_value

if TYPE_CHECKING:
    from ce_tutor.lessons.plots import PlotData

#: Markers that need nothing beyond ASCII, one per series, for terminals without braille glyphs.
ASCII_MARKERS = ("*", "+", "o", "x", "#", "@")


def draw(plt: Any, data: PlotData, *, ascii: bool = False, colors: Sequence[Any] | None = None) -> None:
    """Draw ``data`` onto a cleared plotext figure ``plt`` (the caller sets size and theme).

    ``colors`` are plotext colours (names, 0-255 codes or RGB triples), one per series in turn.
    """
    plt.clear_data()
    for i, series in enumerate(data.series):
        if not len(series.y):  # no finite point at all (plotext cannot draw an empty series)
            continue
        style: dict[str, Any] = {"label": series.name}
        if ascii:
            style["marker"] = ASCII_MARKERS[i % len(ASCII_MARKERS)]
        if colors:
            style["color"] = colors[i % len(colors)]
        if data.kind == "bar":
            plt.bar(list(data.categories or ()), list(series.y), **style)
        elif data.kind == "scatter":
            plt.scatter(list(series.x), list(series.y), **style)
        else:
            plt.plot(list(series.x), list(series.y), **style)
    for marker in data.markers:
        plt.scatter([marker.x], [marker.y], label=marker.label, marker="x" if ascii else "●")
    if data.title:
        plt.title(data.title)
    plt.xlabel(data.x_label)
    plt.ylabel(data.y_label)
    drawn = [s.y for s in data.series if len(s.y)]
    if drawn and (data.y_min is not None or data.y_max is not None):
        low = data.y_min if data.y_min is not None else min(float(min(y)) for y in drawn)
        high = data.y_max if data.y_max is not None else max(float(max(y)) for y in drawn)
        plt.ylim(low, high)


def describe(data: PlotData, spec: str = ".3g") -> list[str]:
    """The plot in words, for screen readers and transcripts: axes, each series' ends, each marker."""
    lines = [f"Plot: {data.title}" if data.title else "Plot:"]
    lines.append(f"  x axis: {data.x_label}; y axis: {data.y_label}.")
    for series in data.series:
        if data.kind == "bar":
            pairs = ", ".join(f"{c} {format_value(v, spec)}" for c, v in zip(data.categories or (), series.y))
            lines.append(f"  {series.name}: {pairs}.")
        elif not len(series.x):
            lines.append(f"  {series.name}: no finite values to plot.")
        else:
            lines.append(
                f"  {series.name}: from ({format_value(series.x[0], spec)}, {format_value(series.y[0], spec)})"
                f" to ({format_value(series.x[-1], spec)}, {format_value(series.y[-1], spec)})."
            )
    for marker in data.markers:
        lines.append(f"  Marked: {marker.label} at ({format_value(marker.x, spec)}, {format_value(marker.y, spec)}).")
    return lines
