"""Computing a plot: a :class:`PlotSpec` and the lesson's values in, plain numbers for any renderer out.

Every value in a :class:`PlotData` is finite. Line and scatter points where a formula is not finite
(``-ln(x)`` at ``x = 0``) are left out; a bar must be finite. Values beyond ``y_max`` are kept: the
renderer sets the axis limits. No drawing happens here (that is ``ce_tutor.plotting``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ce_tutor import formula
from ce_tutor.lessons import template
from ce_tutor.lessons.problems import LocatedError
from ce_tutor.lessons.schema import Marker, PlotSpec, Series


class PlotError(LocatedError):
    """A plot that cannot be computed. ``at`` is the path of the culprit inside the plot's spec."""


@dataclass(frozen=True, eq=False)
class PlotSeries:
    name: str
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class PlotMarker:
    label: str
    x: float
    y: float


@dataclass(frozen=True, eq=False)
class PlotData:
    """A computed plot. For bars, ``series[i].x`` is the category index and ``categories`` the labels."""

    kind: str
    title: str | None
    x_label: str
    y_label: str
    series: tuple[PlotSeries, ...]
    markers: tuple[PlotMarker, ...]
    categories: tuple[str, ...] | None
    y_min: float | None
    y_max: float | None


# Parsing is the slow part of a formula, and explorers recompute the same plot on every key press.
_parse = functools.lru_cache(maxsize=4096)(formula.parse)


def compute_plot(spec: PlotSpec, env: Mapping[str, object], max_points: int | None = None) -> PlotData:
    """Compute ``spec`` from ``env``. A line plot has ``min(spec.x.points, max_points)`` points (at least 2).

    Raises PlotError naming the formula or text that failed.
    """
    categories = None
    if spec.kind == "bar" and spec.categories:
        categories = tuple(_text(c, env, ("categories", i)) for i, c in enumerate(spec.categories))
    grid = _grid(spec, env, max_points) if spec.kind == "line" else None
    series = tuple(_series(spec.kind, s, i, env, grid, categories) for i, s in enumerate(spec.series))
    markers = tuple(m for m in (_marker(m, i, env) for i, m in enumerate(spec.markers)) if m is not None)
    return PlotData(
        kind=spec.kind,
        title=_text(spec.title, env, ("title",)) if spec.title else None,
        x_label=_text(spec.x_label, env, ("x_label",)),
        y_label=_text(spec.y_label, env, ("y_label",)),
        series=series,
        markers=markers,
        categories=categories,
        y_min=_limit(spec.y_min, env, "y_min"),
        y_max=_limit(spec.y_max, env, "y_max"),
    )


def _evaluate(source: str, env: Mapping[str, object], at: tuple[Any, ...]) -> object:
    """Evaluate a formula of the plot at ``at`` (parsed once, then cached)."""
    try:
        return _parse(source).evaluate(env)
    except formula.FormulaError as exc:
        raise PlotError(str(exc), at) from None


def _number(value: float | str, env: Mapping[str, object], at: tuple[Any, ...]) -> float:
    """A number given as a number or as a formula that computes a single one."""
    result = _evaluate(value, env, at) if isinstance(value, str) else value
    if np.ndim(result) != 0:
        raise PlotError(f"gives {np.size(result)} values; a single number is needed here", at)
    return float(result)


def _text(source: str, env: Mapping[str, object], at: tuple[Any, ...]) -> str:
    try:
        return template.render(source, env)
    except template.TemplateError as exc:
        raise PlotError(str(exc), at) from None


def _array(source: str, env: Mapping[str, object], at: tuple[Any, ...], size: int | None) -> np.ndarray:
    """A formula's values as a 1-D float array of ``size`` values (a single number is repeated)."""
    value = np.asarray(_evaluate(source, env, at), dtype=np.float64)
    if value.ndim == 0:
        value = np.full(size or 1, float(value))
    if value.ndim != 1 or (size is not None and value.size != size):
        shape = "×".join(map(str, value.shape))
        wanted = f"{size} values" if size is not None else "a list of values"
        raise PlotError(f"gives {shape} values, but the plot needs {wanted}", at)
    return value


def _over(source: str, env: Mapping[str, object], x: np.ndarray, at: tuple[Any, ...]) -> np.ndarray:
    """A y formula at every x: all at once, or point by point where x goes into a list or a whole-list
    function (``softmax([0, x])[1]``, ``kl(p, [x, 1 - x])``); see ``Formula.evaluate_over``."""
    try:
        y = _parse(source).evaluate_over("x", x, env)
    except formula.FormulaError as exc:
        raise PlotError(str(exc), at) from None
    if y.shape != x.shape:
        shape = "×".join(map(str, y.shape))
        raise PlotError(f"gives {shape} values, but the plot needs {x.size} values", at)
    return y


def _grid(spec: PlotSpec, env: Mapping[str, object], max_points: int | None) -> np.ndarray:
    assert spec.x is not None  # the schema requires x for a line plot
    low, high = _number(spec.x.min, env, ("x", "min")), _number(spec.x.max, env, ("x", "max"))
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise PlotError(f"the x range must run from a smaller to a larger number, not {low:g} to {high:g}", ("x",))
    points = spec.x.points if max_points is None else max(2, min(spec.x.points, max_points))
    return np.linspace(low, high, points)


def _series(
    kind: str,
    series: Series,
    i: int,
    env: Mapping[str, object],
    grid: np.ndarray | None,
    categories: tuple[str, ...] | None,
) -> PlotSeries:
    name = _text(series.name, env, ("series", i, "name"))
    here = ("series", i, "y")
    if kind == "bar":
        size = len(categories or ())
        y = _array(series.y, env, here, size)
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise PlotError(f"the bar for {(categories or ())[bad[0]]!r} is {template.format_value(y[bad[0]])}", here)
        return PlotSeries(name, np.arange(size, dtype=np.float64), y)
    if grid is None:
        assert series.x is not None  # the schema requires x for every series of a scatter plot
        x = _array(series.x, env, ("series", i, "x"), None)
    else:
        x = grid
    y = _over(series.y, env, x, here)
    keep = np.isfinite(x) & np.isfinite(y)
    return PlotSeries(name, x[keep], y[keep])


def _marker(marker: Marker, i: int, env: Mapping[str, object]) -> PlotMarker | None:
    """The marker, or None where it is not finite (it is off the plot)."""
    x = _number(marker.x, env, ("markers", i, "x"))
    y = _number(marker.y, env, ("markers", i, "y"))
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return PlotMarker(_text(marker.label, env, ("markers", i, "label")), x, y)


def _limit(value: float | str | None, env: Mapping[str, object], name: str) -> float | None:
    if value is None:
        return None
    limit = _number(value, env, (name,))
    if not np.isfinite(limit):
        raise PlotError(f"must be a finite number, not {template.format_value(limit)}", (name,))
    return limit
