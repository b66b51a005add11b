"""The plain mode's plots: title, the plot in words naming each glyph, then an ASCII chart 80 columns wide."""

from __future__ import annotations

import io
import tempfile

import numpy as np

from ce_tutor.lessons.plots import PlotData, PlotMarker, PlotSeries
from ce_tutor.plain import PlainTutor
from ce_tutor.progress import ProgressStore


def tutor() -> tuple[PlainTutor, io.StringIO]:
    out = io.StringIO()
    store = ProgressStore(tempfile.mkdtemp())  # show_plot uses neither the store nor the catalog
    return PlainTutor(None, store, 0, stdin=io.StringIO(), stdout=out, width=100), out  # type: ignore[arg-type]


def two_losses() -> PlotData:
    x = np.linspace(0.01, 1, 80)
    return PlotData(kind="line", title="two losses", x_label="p", y_label="loss",
                    series=(PlotSeries("(1 - p)^2", x, (1 - x) ** 2), PlotSeries("-log p", x, -np.log(x))),
                    markers=(PlotMarker("SSR", 0.57, 0.185), PlotMarker("CE", 0.57, 0.562)),
                    categories=None, y_min=0.0, y_max=None)


def test_title_then_words_then_an_ascii_chart_80_wide_when_not_a_terminal():
    plain, out = tutor()
    plain.show_plot(two_losses())
    lines = out.getvalue().splitlines()
    assert lines[0] == "Plot: two losses"
    assert "  (1 - p)^2 (drawn with *): from (0.01, 0.98) to (1, 0)." in lines
    assert "  -log p (drawn with +): from (0.01, 4.61) to (1, 0)." in lines
    assert "  Marked @: SSR at (0.57, 0.185)." in lines and "  Marked #: CE at (0.57, 0.562)." in lines
    chart = lines[lines.index("  Marked #: CE at (0.57, 0.562).") + 1:]
    assert len(chart) == 18 and max(len(line) for line in chart) == 80
    assert all(line.isascii() for line in chart)
    text = "\n".join(chart)
    assert "* (1 - p)^2" in text and "+ -log p" in text and "@ SSR: 0.185" in text and "# CE: 0.562" in text


def test_no_charts_leaves_the_chart_out_but_keeps_the_words():
    plain, out = tutor()
    plain.charts = False  # what --no-charts sets
    plain.show_plot(two_losses())
    lines = out.getvalue().splitlines()
    assert lines[0] == "Plot: two losses" and lines[-1] == "  Marked #: CE at (0.57, 0.562)."
