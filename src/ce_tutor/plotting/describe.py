"""A plot in words, for screen readers and transcripts: axes, each series' ends and glyph, each marker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ce_tutor.lessons.template import format_value

if TYPE_CHECKING:
    from ce_tutor.lessons.plots import PlotData


def describe(data: PlotData, spec: str = ".3g", *, ascii: bool = True) -> list[str]:
    """The plot in words; ``ascii`` names the glyphs of the ASCII chart (the plain mode's)."""
    from ce_tutor.plotting.layout import bar_glyph, marker_glyph, series_glyph

    lines = [f"Plot: {data.title}" if data.title else "Plot:"]
    if data.kind == "bar":
        lines.append(f"  bars: {data.x_label}; bar length: {data.y_label}.")
    else:
        scale = " (log scale)" if getattr(data, "y_scale", "linear") == "log" else ""
        lines.append(f"  x axis: {data.x_label}; y axis: {data.y_label}{scale}.")
    for i, series in enumerate(data.series):
        glyph = bar_glyph(i, ascii) if data.kind == "bar" else series_glyph(i, ascii)
        name = f"{series.name} (drawn with {glyph})"
        if data.kind == "bar":
            pairs = ", ".join(f"{c} {format_value(v, spec)}" for c, v in zip(data.categories or (), series.y))
            lines.append(f"  {name}: {pairs}.")
        elif not len(series.x):
            lines.append(f"  {name}: no finite values to plot.")
        else:
            lines.append(
                f"  {name}: from ({format_value(series.x[0], spec)}, {format_value(series.y[0], spec)})"
                f" to ({format_value(series.x[-1], spec)}, {format_value(series.y[-1], spec)})."
            )
    for j, marker in enumerate(data.markers):
        lines.append(f"  Marked {marker_glyph(j, ascii)}: {marker.label} at ({format_value(marker.x, spec)}, "
                     f"{format_value(marker.y, spec)}).")
    return lines
