"""The one module that imports plotext: it draws a curve's dots onto a bare canvas and hands back its rows.

plotext is given shares of the axes (0 to 1), not the lesson's values, with its frame, ticks, labels and
legend turned off: it only draws the dots and the lines between them; ``ce_tutor.plotting`` places them.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotext

#: Dots per cell, across and down, of each plotext marker used here.
RESOLUTION = {"braille": (2, 4)}


def curve_rows(x: Sequence[float], y: Sequence[float], width: int, height: int, marker: str,
               *, lines: bool) -> list[str]:
    """The ``height`` rows of ``width`` characters where plotext draws the points (or lines) ``x``, ``y``.

    ``x`` and ``y`` are shares of the axes: plotext's limits are 0 and 1, and dots beyond them are dropped.
    """
    plotext.clear_figure()
    plotext.theme("clear")
    plotext.limitsize(False, False)  # else plotext cuts the canvas to the size of the terminal
    plotext.plotsize(width, height)
    plotext.frame(False)
    plotext.xaxes(False, False)
    plotext.yaxes(False, False)
    plotext.xticks([])
    plotext.yticks([])
    for run_x, run_y in (_clipped_runs(x, y) if lines else [_inside(x, y)]):
        if len(run_x):
            (plotext.plot if lines else plotext.scatter)(run_x, run_y, marker=marker)
    plotext.xlim(0.0, 1.0)
    plotext.ylim(0.0, 1.0)
    rows = plotext.uncolorize(plotext.build()).split("\n")[:height]
    rows += [""] * (height - len(rows))
    return [row.ljust(width)[:width] for row in rows]


#: How far beyond the plot a clipped line may run (plotext draws every dot of a line, even unseen ones).
_MARGIN = 0.02


def _inside(x: Sequence[float], y: Sequence[float]) -> tuple[list[float], list[float]]:
    keep = [(a, b) for a, b in zip(x, y) if -_MARGIN <= a <= 1 + _MARGIN and -_MARGIN <= b <= 1 + _MARGIN]
    return [a for a, _ in keep], [b for _, b in keep]


def _clipped_runs(x: Sequence[float], y: Sequence[float]) -> list[tuple[list[float], list[float]]]:
    """A polyline cut to the band just around the plot: the runs that stay in it, ends moved to its edge."""
    lo, hi = -_MARGIN, 1 + _MARGIN
    runs: list[tuple[list[float], list[float]]] = []
    xs: list[float] = []
    ys: list[float] = []
    points = [(float(a), float(b)) for a, b in zip(x, y)]
    if len(points) == 1:
        return [_inside(x, y)]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        # Liang-Barsky over both axes: the part of the segment inside the band, as t0..t1.
        t0, t1, dx, dy = 0.0, 1.0, x1 - x0, y1 - y0
        ok = True
        for p, q in ((-dx, x0 - lo), (dx, hi - x0), (-dy, y0 - lo), (dy, hi - y0)):
            if p == 0:
                if q < 0:
                    ok = False
                    break
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
        if not ok or t0 > t1:
            if xs:
                runs.append((xs, ys))
                xs, ys = [], []
            continue
        a = (x0 + t0 * dx, y0 + t0 * dy)
        b = (x0 + t1 * dx, y0 + t1 * dy)
        if not xs or (xs[-1], ys[-1]) != a:
            if xs:
                runs.append((xs, ys))
            xs, ys = [a[0]], [a[1]]
        xs.append(b[0])
        ys.append(b[1])
        if t1 < 1.0:
            runs.append((xs, ys))
            xs, ys = [], []
    if xs:
        runs.append((xs, ys))
    return runs
