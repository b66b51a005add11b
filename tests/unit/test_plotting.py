"""The plotting layer: layout of a computed plot on a grid of cells, and the plot in words."""

from __future__ import annotations

import math

import numpy as np
import plotext
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_tutor.lessons.plots import PlotData, PlotMarker, PlotSeries
from ce_tutor.plotting import describe, layout, to_text
from ce_tutor.plotting import _plotext
from ce_tutor.plotting.layout import ARROWS, ASCII_ARROWS, EIGHTHS, marker_glyph, series_glyph
from ce_tutor.plotting.scale import Axis, drawable_range, tick_label, ticks, to_cell


def data(*series, markers=(), kind="line", categories=None, y_min=None, y_max=None, y_scale="linear"):
    return PlotData(kind=kind, title="t", x_label="p", y_label="loss", series=tuple(series),
                    markers=tuple(markers), categories=categories, y_min=y_min, y_max=y_max, y_scale=y_scale)


def curve(name="-log p", n=50):
    x = np.linspace(0.01, 1, n)
    return PlotSeries(name, x, -np.log(x))


# -- the mapping agrees with plotext ------------------------------------------------------------------------
@pytest.mark.parametrize("marker,sub", [("x", (1, 1)), ("braille", (2, 4))])
@given(u=st.floats(0, 1), v=st.floats(0, 1), w=st.integers(5, 90), h=st.integers(3, 30))
@settings(max_examples=60, deadline=None)
def test_to_cell_puts_a_point_where_plotext_draws_it(marker, sub, u, v, w, h):
    rows = _plotext.curve_rows([u], [v], w, h, marker, lines=False)
    drawn = [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != " "]
    assert drawn == [(h - 1 - to_cell(v, h, sub[1]), to_cell(u, w, sub[0]))]


# -- ticks ---------------------------------------------------------------------------------------------------
def test_ticks_are_round_one_two_five_steps():
    step, values = ticks(0.0, 4.61, 6)
    assert step == 1.0 and values == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ticks(-20, 0, 5)[0] == 5.0
    assert tick_label(0.25, 0.25) == "0.25" and tick_label(2.0, 1.0) == "2"


def test_the_issue_example_no_longer_lies():
    """-log p from 0.01: labels 0, 1, 2, ... each on the row its value maps to."""
    canvas = layout(data(curve(n=200), y_min=0), 78, 14)
    values = [v for v, _, _ in canvas.y_ticks]
    assert values == sorted(values) and all(float(t).is_integer() for t in values)
    for v, _, row in canvas.y_ticks:
        left, top, _, rows = canvas.data_box
        assert row == top + rows - 1 - canvas.y_axis.cell(v)


# -- random plots ---------------------------------------------------------------------------------------------
finite = st.floats(-1e6, 1e6, allow_nan=False)
wild = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 1e-320, -1e308, 1e308]))


@st.composite
def plots(draw, values=finite):
    kind = draw(st.sampled_from(["line", "scatter", "bar"]))
    n_series = draw(st.integers(1, 3))
    if kind == "bar":
        k = draw(st.integers(1, 4))
        series = tuple(PlotSeries(f"s{i}", np.arange(k, dtype=float),
                                  np.array(draw(st.lists(values, min_size=k, max_size=k))))
                       for i in range(n_series))
        categories = tuple(f"c{j}" for j in range(k))
    else:
        series = []
        for i in range(n_series):
            n = draw(st.integers(0, 30))
            xs = np.array(sorted(draw(st.lists(values, min_size=n, max_size=n))))
            ys = np.array(draw(st.lists(values, min_size=n, max_size=n)))
            series.append(PlotSeries(f"series {i}", xs, ys))
        series, categories = tuple(series), None
    markers = tuple(PlotMarker(f"m{j}", draw(values), draw(values)) for j in range(draw(st.integers(0, 3))))
    limits = st.one_of(st.none(), values)
    return PlotData(kind=kind, title=draw(st.one_of(st.none(), st.just("a title"))), x_label="x", y_label="y",
                    series=series, markers=markers, categories=categories, y_min=draw(limits),
                    y_max=draw(limits), y_scale=draw(st.sampled_from(["linear", "log"])) if kind != "bar" else "linear",
                    orientation=draw(st.sampled_from(["horizontal", "vertical"])))


sizes = st.tuples(st.integers(20, 120), st.integers(5, 30))


@given(plot=plots(), size=sizes, ascii=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_layout_properties(plot, size, ascii):
    canvas = layout(plot, *size, ascii=ascii)
    assert len(canvas.chars) == size[1] and all(len(row) == size[0] for row in canvas.chars)
    left, top, w, h = canvas.data_box
    # No legend cell (or axis name, or tick label) inside the data area.
    for row in canvas.legend_rows:
        assert not (top <= row < top + h)
    for r in range(canvas.height):
        for c in range(canvas.width):
            if canvas.styles[r][c] in ("legend", "label", "title", "tick"):
                assert not canvas.in_data(r, c), (r, c, canvas.chars[r][c])
    # Ticks: evenly spaced values, each on the row or column its value maps to.
    log_y = canvas.y_axis is not None and canvas.y_axis.log
    for tick_list, log in ((canvas.y_ticks, log_y), (canvas.x_ticks, False)):
        values = [math.log10(v) if log else v for v, _, _ in tick_list]
        if len(values) >= 3 and all(abs(v) < 1e300 for v in values):
            gaps = np.diff(values)
            assert np.allclose(gaps, gaps[0], rtol=1e-6, atol=0)
    if canvas.y_axis is not None:
        for v, _, row in canvas.y_ticks:
            assert row == top + h - 1 - canvas.y_axis.cell(v)
    if canvas.x_axis is not None:
        for v, _, col in canvas.x_ticks:
            assert col == left + canvas.x_axis.cell(v)
    # Markers: their own glyph at the cell their value maps to, or an arrow at the edge.
    arrows = ASCII_ARROWS if ascii else ARROWS
    for place in canvas.markers:
        m = plot.markers[place.index]
        if not any(o.index > place.index and (o.row, o.col) == (place.row, place.col) for o in canvas.markers):
            assert canvas.chars[place.row][place.col] == place.glyph
        if place.arrow is None:
            assert place.glyph == marker_glyph(place.index, ascii)
            assert abs(place.col - (left + canvas.x_axis.cell(m.x))) == (1 if place.moved else 0)
            assert place.row == top + h - 1 - canvas.y_axis.cell(m.y)
        else:
            assert place.glyph == arrows[place.arrow]
            edge = {"up": place.row == top, "down": place.row == top + h - 1,
                    "left": place.col <= left + place.moved, "right": place.col >= left + w - 1 - place.moved}
            assert edge[place.arrow]


@given(plot=plots(values=wild), size=st.tuples(st.integers(1, 120), st.integers(1, 30)), ascii=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_degenerate_inputs_never_raise(plot, size, ascii):
    canvas = layout(plot, *size, ascii=ascii)
    assert len(canvas.lines()) == size[1]
    if ascii:  # --ascii: nothing but ASCII, whatever the numbers (lesson text aside)
        assert "\n".join(canvas.lines()).isascii()
    describe(plot)


@pytest.mark.parametrize("lo,hi", [(3.0, 3.0), (0.0, 1e-320), (-1e308, 1e308), (5.0, 1.0), (math.inf, math.nan),
                                   (1.7e308, 1.7e308), (-0.0, 0.0)])
def test_drawable_range_always_has_room(lo, hi):
    low, high, _ = drawable_range(lo, hi)
    assert math.isfinite(low) and math.isfinite(high) and low < high
    axis = Axis(low, high, 10)
    assert 0 <= axis.share(low) <= axis.share(high) <= 1


def test_a_constant_curve_and_a_single_point_draw_with_a_note():
    x = np.linspace(0, 1, 10)
    text = to_text(layout(data(PlotSeries("flat", x, np.full(10, 3.0))), 60, 12))
    assert "flat: y = 3" in text
    text = to_text(layout(data(PlotSeries("one", np.array([2.0]), np.array([5.0]))), 60, 12))
    assert "single x = 2" in text


# -- markers and legend ---------------------------------------------------------------------------------------
def test_legend_lists_every_series_and_marker_with_its_glyph_and_value():
    plot = data(curve(), PlotSeries("half", np.linspace(0.01, 1, 50), np.linspace(2, 0, 50)),
                markers=[PlotMarker("CE at p = 0.01", 0.01, 4.61), PlotMarker("here", 0.5, 0.69)], y_min=0)
    for ascii in (False, True):
        text = to_text(layout(plot, 78, 14, ascii=ascii))
        assert f"{series_glyph(0, ascii)} -log p" in text and f"{series_glyph(1, ascii)} half" in text
        assert f"{marker_glyph(0, ascii)} CE at p = 0.01: 4.61" in text
        assert f"{marker_glyph(1, ascii)} here: 0.69" in text


def test_a_marker_beyond_the_plot_is_an_arrow_at_the_edge_and_said_in_the_legend():
    canvas = layout(data(curve(), markers=[PlotMarker("far", 0.5, 50.0)], y_min=0, y_max=5), 78, 14)
    (place,) = canvas.markers
    assert place.arrow == "up" and place.row == canvas.data_box[1]
    assert "far: 50 ▲ off the plot" in to_text(canvas)


def test_a_marker_label_that_ends_with_its_value_is_not_given_it_twice():
    plot = data(curve(), markers=[PlotMarker("start: 2.67", 0.5, 2.67), PlotMarker("x = 1", 0.6, 1.0)])
    text = to_text(layout(plot, 78, 14))
    assert "● start: 2.67   " in text and "2.67: 2.67" not in text and "◆ x = 1: 1" in text


def test_two_markers_on_one_cell_are_both_drawn():
    canvas = layout(data(curve(), markers=[PlotMarker("a", 0.5, 0.69), PlotMarker("b", 0.5, 0.7)]), 78, 14)
    first, second = canvas.markers
    assert (first.row, first.col + 1) == (second.row, second.col) and second.moved
    assert canvas.chars[first.row][first.col] == "●" and canvas.chars[second.row][second.col] == "◆"


def test_a_clipped_curve_is_marked_where_it_leaves_the_plot():
    canvas = layout(data(curve(), y_min=0, y_max=2), 78, 14)
    top = canvas.data_box[1]
    assert "↑" in canvas.chars[top] and "runs on above" in to_text(canvas)


def test_log_scale_labels_powers_of_ten():
    x = np.linspace(0.01, 1, 50)
    canvas = layout(data(PlotSeries("1/p", x, 1 / x), y_scale="log"), 60, 14)
    assert [t for _, t, _ in canvas.y_ticks] == ["1", "10", "100"]


# -- bars -----------------------------------------------------------------------------------------------------
def test_bars_have_eighth_cell_ends_values_and_groups_side_by_side():
    plot = data(PlotSeries("p", np.arange(3.0), np.array([0.57, 0.070, 0.077])),
                PlotSeries("q", np.arange(3.0), np.array([0.9, 0.0, 0.23])),
                kind="bar", categories=("Setosa", "Versicolor", "Virginica"), y_min=0, y_max=1)
    canvas = layout(plot, 78, 14)
    lines = canvas.lines()
    versicolor = next(i for i, line in enumerate(lines) if line.startswith("Versicolor"))
    virginica = next(i for i, line in enumerate(lines) if line.startswith("Virginica"))
    assert lines[versicolor].endswith(" 0.07") and lines[virginica].endswith(" 0.077")
    assert lines[versicolor] .split("│")[1] != lines[virginica].split("│")[1]  # 0.070 and 0.077 differ
    assert any(ch in EIGHTHS[1:] for line in lines for ch in line)
    assert lines[versicolor + 1].rstrip().endswith("0")  # q's bar on its own row, under p's
    ascii_text = to_text(layout(plot, 78, 14, ascii=True))
    assert "#" in ascii_text and "=" in ascii_text


def test_vertical_bars_stand_on_the_axis_with_eighth_tops_values_above_and_series_tags():
    plot = PlotData(kind="bar", title="t", x_label="species", y_label="p",
                    series=(PlotSeries("p", np.arange(2.0), np.array([0.57, 0.07])),
                            PlotSeries("q", np.arange(2.0), np.array([0.9, 0.23]))),
                    markers=(), categories=("Setosa", "Virginica"), y_min=0, y_max=1, orientation="vertical")
    canvas = layout(plot, 60, 14)
    text = to_text(canvas)
    assert all(v in text for v in ("0.57", "0.07", "0.9", "0.23")) and "Setosa" in text and "Virginica" in text
    assert any(ch in text for ch in "▁▂▃▄▅▆▇")
    axis_row = canvas.data_box[1] + canvas.data_box[3]
    assert canvas.lines()[axis_row].count("●") == 2 and canvas.lines()[axis_row].count("◆") == 2
    for v, _, row in canvas.y_ticks:  # ticks on the rows their values map to
        assert row == axis_row - 1 - canvas.y_axis.cell(v)


def test_a_bar_beyond_the_range_is_clipped_with_a_mark():
    plot = data(PlotSeries("p", np.arange(2.0), np.array([2.0, math.inf])), kind="bar", categories=("a", "b"),
                y_min=0, y_max=1)
    lines = layout(plot, 60, 10).lines()
    a = next(line for line in lines if line.startswith("a "))
    b = next(line for line in lines if line.startswith("b "))
    assert a.endswith("▶ 2") and b.endswith("▶ ∞")


# -- in words -------------------------------------------------------------------------------------------------
def test_description_gives_ends_of_curves_bars_and_markers_with_their_glyphs():
    x = np.array([0.01, 1.0])
    words = describe(data(PlotSeries("-log p", x, -np.log(x)), markers=[PlotMarker("your p", 0.57, 0.562)]))
    assert words[0] == "Plot: t"
    assert "-log p (drawn with *): from (0.01, 4.61) to (1, 0)." in " ".join(words)
    assert "Marked @: your p at (0.57, 0.562)." in " ".join(words)
    bars = describe(data(PlotSeries("p", np.arange(3.0), np.array([0.57, 0.2, 0.23])), kind="bar",
                         categories=("Setosa", "Versicolor", "Virginica")))
    assert "  p (drawn with #): Setosa 0.57, Versicolor 0.2, Virginica 0.23." in bars


def test_only_the_adapter_imports_plotext():
    import pathlib

    import ce_tutor

    root = pathlib.Path(ce_tutor.__file__).parent
    importers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if "import plotext" in p.read_text() or "from plotext" in p.read_text())
    assert importers == ["plotting/_plotext.py"]
    assert plotext.__version__ if hasattr(plotext, "__version__") else True
