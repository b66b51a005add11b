"""The plotting layer shared by the app and the plain mode: a computed ``PlotData`` in, a grid of cells out.

* :func:`layout` lays a plot out on a grid of (character, style key) cells: nice 1-2-5 ticks on the rows
  and columns their values map to, the legend outside the data area, a glyph of its own for every series
  and marker, bars with eighth-cell ends, markers drawn last (an arrow at the edge when beyond the plot),
  and never an exception for odd numbers. ``ce_tutor.plotting.scale`` holds the one value-to-cell mapping.
* :func:`to_text` prints a canvas for the plain mode; the app's widget colours it by style key.
* :func:`describe` says the plot in words.

``ce_tutor.plotting._plotext`` is the only module of ce-tutor that imports plotext (for the curves).
"""

from __future__ import annotations

from ce_tutor.plotting.describe import describe
from ce_tutor.plotting.layout import Canvas, layout, marker_glyph, series_glyph, bar_glyph

__all__ = ["Canvas", "bar_glyph", "describe", "layout", "marker_glyph", "series_glyph", "to_text"]


def to_text(canvas: Canvas) -> str:
    """The canvas as lines of text, trailing spaces trimmed."""
    return "\n".join(canvas.lines())
