"""An explorer: numbers the learner moves with the keyboard, and the values, lines and plot that follow.

Everything derived is computed on demand and kept until a parameter changes, so a key press costs one
recomputation at most, and repeated redraws cost nothing.
"""

from __future__ import annotations

import math
import functools
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np

from ce_tutor.lessons import template
from ce_tutor.lessons.plots import PlotData, PlotError, compute_plot
from ce_tutor.lessons.problems import LocatedError
from ce_tutor import formula
from ce_tutor.lessons.schema import DistributionParam, ExploreStep, Param
from ce_tutor.lessons.values import ComputeError, compute as compute_values

BIG_STEP = 10  #: steps per big nudge (shift+arrow, page keys)
_SLACK = 1e-9  # grid positions closer than this (in steps) count as on the grid
_T = TypeVar("_T")


class ExploreError(LocatedError):
    """Something the explorer cannot compute at the current values; ``at`` is where, inside the step."""


class Explorer:
    """The live state of one explore step. ``values`` holds each parameter's current value.

    Not thread-safe: a front end that computes in worker threads holds ``lock`` while it uses one."""

    def __init__(self, step: ExploreStep, env: Mapping[str, object]) -> None:
        self.step = step
        #: one slider each: a param, or one probability of a distribution
        self.params: list[Param] = []
        #: a distribution's name -> the names of its sliders
        self.distributions: dict[str, list[str]] = {}
        for p in step.params:
            if isinstance(p, DistributionParam):
                sliders = p.sliders
                self.distributions[p.name] = [s.name for s in sliders]
                self.params += sliders
            else:
                self.params.append(p)
        self._of = {s: d for d, names in self.distributions.items() for s in names}
        self._index = {p.name: j for j, p in enumerate(step.params)}  # where a param stands in the step
        self.values: dict[str, float] = {p.name: p.value for p in self.params}
        self._base = dict(env)
        self._by_name = {p.name: p for p in self.params}
        self._cache: dict[object, Any] = {}
        self.lock = threading.RLock()

    # -- moving the parameters ---------------------------------------------------------------------------
    def nudge(self, name: str, direction: int, big: bool = False) -> bool:
        """Move ``name`` one step (``BIG_STEP`` steps if ``big``) up or down; False if it did not move.

        From a value between grid points (a start or an end off the grid), the first step goes to the
        nearest grid point in that direction.
        """
        if direction == 0:
            return False
        low, _ = self.bounds(name)
        return self.set(name, _target(self._param(name), self.values[name], low, direction, big))

    def moved(
        self, values: Mapping[str, float], name: str, direction: int, big: bool, bounds: tuple[float, float]
    ) -> dict[str, float]:
        """What :meth:`nudge` would make of ``values`` (not the explorer's own) with ``name``'s range taken
        as ``bounds``: arithmetic only, no formula, so that a front end can show a move at once and let
        the explorer compute it (and move the params whose range follows others) in the background.
        Changes nothing."""
        param = self._param(name)
        moved = dict(values)
        if direction == 0 or math.isnan(values[name]):
            return moved
        new = _on_grid(param, _target(param, values[name], bounds[0], direction, big), bounds)
        if new != values[name]:
            moved[name] = new
            if name in self._of:
                self._rescale(name, values[name], moved)
        return moved

    def start_values(self) -> dict[str, float]:
        """Every parameter's starting value (what :meth:`reset` goes back to)."""
        return {p.name: p.value for p in self.params}

    def set(self, name: str, value: float) -> bool:
        """Set ``name`` to ``value``, kept in range and on the step grid (its start value is always allowed,
        on the grid or not); False if nothing changed.

        A slider of a distribution rescales the others of its distribution so that they still sum to 1
        (in proportion to what they were; evenly if they were all 0). A param whose range follows this one
        is moved back inside its new range.
        """
        param = self._param(name)
        if math.isnan(value):
            return False
        new = _on_grid(param, value, self.bounds(name))
        old = self.values[name]
        if new == old:
            return False
        self.values[name] = new
        if name in self._of:
            self._rescale(name, old, self.values)
        self._cache.clear()
        self._clamp_others(name)
        return True

    def reset(self) -> None:
        """Every parameter back to its starting value."""
        self.values.update(self.start_values())
        self._cache.clear()

    def bounds(self, name: str) -> tuple[float, float]:
        """The range of ``name`` at the current values (its ``min`` and ``max`` may be formulas).

        Raises ExploreError if a formula fails or the range is empty.
        """
        param = self._param(name)
        if param.fixed_range:
            return float(param.min), float(param.max)
        key = ("bounds", name)

        def compute() -> tuple[float, float]:
            scope = self._scope()
            ends = []
            for which in ("min", "max"):
                source = getattr(param, which)
                if not isinstance(source, str):
                    ends.append(float(source))
                    continue
                try:
                    value = _parse(source).evaluate(scope)
                except formula.FormulaError as exc:
                    raise ExploreError(str(exc), ("params", self._index[name], which)) from None
                if np.ndim(value) != 0 or not math.isfinite(float(value)):
                    shown = template.format_value(value)
                    raise ExploreError(f"must give one finite number, not {shown}", ("params", self._index[name], which))
                ends.append(float(value))
            low, high = ends
            if not low < high:
                raise ExploreError(f"the range {low:g} to {high:g} is empty", ("params", self._index[name]))
            return low, high

        return self._cached(key, compute)

    def _rescale(self, name: str, old: float, values: dict[str, float]) -> None:
        """Keep ``name``'s distribution in ``values`` summing to 1 after ``name`` moved from ``old``."""
        others = [s for s in self.distributions[self._of[name]] if s != name]
        rest = 1.0 - values[name]
        total = sum(values[s] for s in others)
        for s in others:
            share = values[s] / total if total > 0 else 1 / len(others)
            values[s] = max(0.0, round(rest * share, 12))  # no float drift on screen

    def _clamp_others(self, moved: str) -> None:
        """Move every param whose range follows the others back inside its range."""
        for param in self.params:
            if param.name == moved or param.fixed_range:
                continue
            try:
                low, high = self.bounds(param.name)
            except ExploreError:
                continue  # reported where the values are computed
            value = self.values[param.name]
            if not low <= value <= high:
                self.values[param.name] = round(min(max(value, low), high), 12)
                self._cache.clear()

    # -- what follows from them ----------------------------------------------------------------------------
    def env(self) -> dict[str, object]:
        """The lesson's values, the parameters and the derived values (raises ExploreError)."""
        return dict(self._env())

    def lines(self) -> list[str]:
        """The ``show`` lines, filled in."""
        return self._cached("lines", lambda: [self._render(t, ("show", i)) for i, t in enumerate(self.step.show)])

    def text(self) -> str | None:
        text = self.step.text
        return self._cached("text", lambda: self._render(text, ("text",))) if text else None

    def plot(self, max_points: int | None = None) -> PlotData | None:
        """The plot at the current values (see ``compute_plot``), or None if the step has none."""
        spec = self.step.plot
        if spec is None:
            return None

        def compute() -> PlotData:
            try:
                return compute_plot(spec, self._env(), max_points)
            except PlotError as exc:
                raise ExploreError(exc.reason, ("plot", *exc.at)) from None

        return self._cached(("plot", max_points), compute)

    # -- internals -----------------------------------------------------------------------------------------
    def _param(self, name: str) -> Param:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no parameter {name!r}; the parameters are {', '.join(self._by_name)}") from None

    def _cached(self, key: object, compute: Callable[[], _T]) -> _T:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _scope(self) -> dict[str, object]:
        """The lesson's values and the params: a distribution as one list, its sliders not by name."""
        scope = {**self._base, **{k: v for k, v in self.values.items() if k not in self._of}}
        for dist, sliders in self.distributions.items():
            scope[dist] = np.array([self.values[s] for s in sliders])
        return scope

    def _env(self) -> dict[str, object]:
        for param in self.params:
            if not param.fixed_range:
                self.bounds(param.name)  # a range that cannot be computed is a problem of these values

        def compute() -> dict[str, object]:
            try:
                return compute_values(self.step.derived, self._scope())
            except ComputeError as exc:
                raise ExploreError(exc.reason, ("derived", exc.name)) from None

        return self._cached("env", compute)

    def _render(self, text: str, at: tuple[Any, ...]) -> str:
        try:
            return template.render(text, self._env())
        except template.TemplateError as exc:
            raise ExploreError(str(exc), at) from None


def decimals(x: float) -> int:
    """How many decimals ``x`` is written with (0.25 -> 2, 3.0 -> 0, 1e-05 -> 5)."""
    exponent = Decimal(repr(x)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


_parse = functools.lru_cache(maxsize=1024)(formula.parse)


def _target(param: Param, value: float, low: float, direction: int, big: bool) -> float:
    """Where a nudge from ``value`` aims (before it is kept in range and on the grid): from a value between
    grid points, the first step goes to the nearest grid point in that direction."""
    position = (value - low) / param.step
    steps = BIG_STEP if big else 1
    if direction > 0:
        target = math.floor(position + _SLACK) + steps
    else:
        target = math.ceil(position - _SLACK) - steps
    return low + target * param.step


def _on_grid(param: Param, value: float, bounds: tuple[float, float]) -> float:
    """``value`` clamped to the parameter's range and snapped to its step grid (counted from ``min``),
    rounded to the decimals of ``min`` and ``step`` so no float drift (0.30000000000000004) shows."""
    low, high = bounds
    if value == param.value and low <= value <= high:
        return value
    if value >= high:
        return high
    if value <= low:
        return low
    steps = round((value - low) / param.step)
    snapped = round(low + steps * param.step, min(12, max(decimals(low), decimals(param.step))))
    return min(max(snapped, low), high)
