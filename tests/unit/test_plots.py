"""compute_plot: plain, finite numbers for any renderer, and errors that say which part failed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.plots import PlotError, compute_plot
from ce_tutor.lessons.problems import where
from ce_tutor.lessons.schema import PlotSpec

ENV = {"p": np.array([0.7, 0.2, 0.1]), "top": 0.7}


def spec(**fields: Any) -> PlotSpec:
    base: dict[str, Any] = {"x_label": "p", "y_label": "loss", "x": {"min": 0, "max": 1, "points": 11}}
    return validate(PlotSpec, base | fields)


def test_a_line_plot_runs_its_formula_over_the_grid():
    data = compute_plot(spec(series=[{"name": "twice", "y": "2 * x"}], title="top = {top:.1f}"), ENV)
    [series] = data.series
    np.testing.assert_allclose(series.x, np.linspace(0, 1, 11))
    np.testing.assert_allclose(series.y, 2 * np.linspace(0, 1, 11))
    assert (data.kind, data.title, data.x_label, data.y_label) == ("line", "top = 0.7", "p", "loss")
    assert data.categories is None and data.markers == ()


def test_max_points_caps_the_grid_but_never_below_two():
    s = spec(series=[{"name": "x", "y": "x"}], x={"min": 0, "max": 1, "points": 200})
    assert len(compute_plot(s, ENV).series[0].x) == 200
    assert len(compute_plot(s, ENV, max_points=80).series[0].x) == 80
    assert len(compute_plot(s, ENV, max_points=1).series[0].x) == 2
    assert len(compute_plot(s, ENV, max_points=500).series[0].x) == 200


def test_points_that_are_not_finite_are_left_out_and_big_ones_kept():
    data = compute_plot(spec(series=[{"name": "-ln x", "y": "-ln(x)"}], y_max=2), ENV)
    [series] = data.series
    assert len(series.x) == 10 and series.x[0] == pytest.approx(0.1)
    assert series.y.max() == pytest.approx(-np.log(0.1))  # above y_max: the renderer clips the axis
    assert data.y_max == 2.0


def test_a_single_number_becomes_a_flat_line():
    [series] = compute_plot(spec(series=[{"name": "level", "y": "top"}]), ENV).series
    np.testing.assert_array_equal(series.y, np.full(11, 0.7))


def test_ranges_limits_and_markers_may_be_formulas_and_labels_are_filled():
    data = compute_plot(
        spec(
            series=[{"name": "x", "y": "x"}],
            x={"min": "p[2]", "max": "top", "points": 2},
            y_min="-top",
            markers=[{"label": "p = {top:.2f}", "x": "top", "y": "-ln(top)"}, {"label": "gone", "x": 0, "y": "-ln(0)"}],
        ),
        ENV,
    )
    np.testing.assert_allclose(data.series[0].x, [0.1, 0.7])
    assert data.y_min == -0.7
    [marker] = data.markers  # the marker at infinity is off the plot
    assert (marker.label, marker.x, marker.y) == ("p = 0.70", 0.7, pytest.approx(-np.log(0.7)))


def test_a_bar_plot_has_one_bar_per_category():
    data = compute_plot(
        spec(kind="bar", x=None, categories=["A", "B ({p[1]:.1f})", "C"], series=[{"name": "p", "y": "p"}]), ENV
    )
    assert data.categories == ("A", "B (0.2)", "C")
    np.testing.assert_array_equal(data.series[0].x, [0, 1, 2])
    np.testing.assert_array_equal(data.series[0].y, [0.7, 0.2, 0.1])


def test_a_scatter_series_sees_its_own_x():
    [series] = compute_plot(spec(kind="scatter", x=None, series=[{"name": "s", "x": "p", "y": "x * 10"}]), ENV).series
    np.testing.assert_allclose(series.x, [0.7, 0.2, 0.1])
    np.testing.assert_allclose(series.y, [7, 2, 1])


@pytest.mark.parametrize(
    ("fields", "at", "fragment"),
    [
        ({"series": [{"name": "n", "y": "nope * x"}]}, ("series", 0, "y"), "unknown name 'nope'"),
        ({"series": [{"name": "{nope}", "y": "x"}]}, ("series", 0, "name"), "unknown name 'nope'"),
        ({"series": [{"name": "n", "y": "p"}]}, ("series", 0, "y"), "gives 3 values, but the plot needs 11 values"),
        ({"series": [{"name": "n", "y": "iris_probs(x, 0.4, 0)"}]}, ("series", 0, "y"), "gives 3×11 values"),
        ({"series": [{"name": "n", "y": "x"}], "x": {"min": 1, "max": 0}}, ("x",), "smaller to a larger number"),
        ({"series": [{"name": "n", "y": "x"}], "x": {"min": "p", "max": 1}}, ("x", "min"), "a single number"),
        ({"series": [{"name": "n", "y": "x"}], "y_max": "1 / 0"}, ("y_max",), "must be a finite number, not ∞"),
        (
            {"kind": "bar", "x": None, "categories": ["a", "b"], "series": [{"name": "n", "y": "p"}]},
            ("series", 0, "y"),
            "the plot needs 2 values",
        ),
        (
            {"kind": "bar", "x": None, "categories": ["a", "b", "c"], "series": [{"name": "n", "y": "-ln(p - 0.1)"}]},
            ("series", 0, "y"),
            "the bar for 'c' is ∞",
        ),
    ],
)
def test_an_error_names_the_part_that_failed(fields, at, fragment):
    with pytest.raises(PlotError) as caught:
        compute_plot(spec(**fields), ENV)
    assert caught.value.at == at
    assert fragment in caught.value.reason
    assert str(caught.value) == f"{where(at)}: {caught.value.reason}"


def test_vector_valued_formulas_run_once_per_grid_point():
    """softmax([0, x]) and kl(p, [x, 1 - x]) take x as one number at a time, so they mean what they say."""
    q = {"q": np.array([0.3, 0.7])}
    data = compute_plot(
        spec(
            x={"min": 0.05, "max": 0.95, "points": 19},
            series=[
                {"name": "sigmoid", "y": "softmax([0, x])[1]"},
                {"name": "kl", "y": "kl(q, [x, 1 - x])"},
                {"name": "H", "y": "entropy([x, 1 - x])"},
                {"name": "bits", "y": "nats_to_bits(-ln(softmax([x, 1, 2])[0]))"},
            ],
        ),
        q,
    )
    x = np.linspace(0.05, 0.95, 19)
    sig, kl, h, bits = (s.y for s in data.series)
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(kl, 0.3 * np.log(0.3 / x) + 0.7 * np.log(0.7 / (1 - x)), rtol=1e-12)
    np.testing.assert_allclose(h, -(x * np.log(x) + (1 - x) * np.log(1 - x)), rtol=1e-12)
    p0 = np.exp(x) / (np.exp(x) + np.e + np.e**2)
    np.testing.assert_allclose(bits, -np.log2(p0), rtol=1e-12)


def test_a_vector_where_one_number_is_needed_names_the_point():
    with pytest.raises(PlotError, match=r"gives 2 values at x = 0; a single number is needed there") as info:
        compute_plot(spec(series=[{"name": "s", "y": "softmax([0, x])"}]), ENV)
    assert info.value.at == ("series", 0, "y")
