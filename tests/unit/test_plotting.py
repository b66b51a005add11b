"""Drawing computed plots with plotext, and describing them in words."""

import numpy as np
import plotext

from ce_tutor.lessons.plots import PlotData, PlotMarker, PlotSeries
from ce_tutor.plotting import describe, draw


def data(*series, markers=(), kind="line", categories=None, y_max=None):
    return PlotData(kind=kind, title="t", x_label="p", y_label="loss", series=tuple(series),
                    markers=tuple(markers), categories=categories, y_min=None, y_max=y_max)


def build(plot, **kw):
    plotext.clear_figure()
    plotext.plotsize(60, 15)
    draw(plotext, plot, **kw)
    return plotext.uncolorize(plotext.build())


def test_series_and_markers_are_drawn_with_their_labels():
    x = np.linspace(0.01, 1, 50)
    chart = build(data(PlotSeries("-log p", x, -np.log(x)), markers=[PlotMarker("your p", 0.57, 0.56)]), ascii=True)
    assert "-log p" in chart and "your p" in chart
    assert all(ord(ch) < 0x2800 or ord(ch) > 0x28FF for ch in chart)  # --ascii: no braille dots


def test_a_series_without_finite_points_is_skipped_not_a_crash():
    empty = PlotSeries("nothing", np.array([]), np.array([]))
    chart = build(data(empty, PlotSeries("line", np.array([0.0, 1.0]), np.array([1.0, 2.0])), y_max=3.0))
    assert "line" in chart and "nothing" not in chart
    build(data(empty))  # only empty series: an empty frame
    assert "  nothing: no finite values to plot." in describe(data(empty))


def test_description_gives_ends_of_curves_bars_and_markers():
    x = np.array([0.01, 1.0])
    words = describe(data(PlotSeries("-log p", x, -np.log(x)), markers=[PlotMarker("your p", 0.57, 0.562)]))
    assert words[0] == "Plot: t"
    assert "-log p: from (0.01, 4.61) to (1, 0)." in " ".join(words)
    assert "Marked: your p at (0.57, 0.562)." in " ".join(words)
    bars = describe(data(PlotSeries("p", np.arange(3.0), np.array([0.57, 0.2, 0.23])), kind="bar",
                         categories=("Setosa", "Versicolor", "Virginica")))
    assert "  p: Setosa 0.57, Versicolor 0.2, Virginica 0.23." in bars
