"""An explorer: numbers the learner moves with the keyboard, and the values, lines and plot that follow.

Everything derived is computed on demand and kept until a parameter changes, so a key press costs one
recomputation at most, and repeated redraws cost nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from ce_tutor.lessons import template
from ce_tutor.lessons.plots import PlotData, PlotError, compute_plot
from ce_tutor.lessons.problems import LocatedError
from ce_tutor.lessons.schema import ExploreStep, Param
from ce_tutor.lessons.values import ComputeError, compute as compute_values

BIG_STEP = 10  #: steps per big nudge (shift+arrow, page keys)
_SLACK = 1e-9  # grid positions closer than this (in steps) count as on the grid
_T = TypeVar("_T")


class ExploreError(LocatedError):
    """Something the explorer cannot compute at the current values; ``at`` is where, inside the step."""


class Explorer:
    """The live state of one explore step. ``values`` holds each parameter's current value."""

    def __init__(self, step: ExploreStep, env: Mapping[str, object]) -> None:
        self.step = step
        self.params: list[Param] = list(step.params)
        self.values: dict[str, float] = {p.name: p.value for p in self.params}
        self._base = dict(env)
        self._by_name = {p.name: p for p in self.params}
        self._cache: dict[object, Any] = {}

    # -- moving the parameters ---------------------------------------------------------------------------
    def nudge(self, name: str, direction: int, big: bool = False) -> bool:
        """Move ``name`` one step (``BIG_STEP`` steps if ``big``) up or down; False if it did not move.

        From a value between grid points (a start or an end off the grid), the first step goes to the
        nearest grid point in that direction.
        """
        param = self._param(name)
        if direction == 0:
            return False
        position = (self.values[name] - param.min) / param.step
        steps = BIG_STEP if big else 1
        if direction > 0:
            target = math.floor(position + _SLACK) + steps
        else:
            target = math.ceil(position - _SLACK) - steps
        return self.set(name, param.min + target * param.step)

    def set(self, name: str, value: float) -> bool:
        """Set ``name`` to ``value``, kept in range and on the step grid (its start value is always allowed,
        on the grid or not); False if nothing changed."""
        param = self._param(name)
        if math.isnan(value):
            return False
        new = _on_grid(param, value)
        if new == self.values[name]:
            return False
        self.values[name] = new
        self._cache.clear()
        return True

    def reset(self) -> None:
        """Every parameter back to its starting value."""
        self.values.update((p.name, p.value) for p in self.params)
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

    def _env(self) -> dict[str, object]:
        def compute() -> dict[str, object]:
            try:
                return compute_values(self.step.derived, {**self._base, **self.values})
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


def _on_grid(param: Param, value: float) -> float:
    """``value`` clamped to the parameter's range and snapped to its step grid (counted from ``min``),
    rounded to the decimals of ``min`` and ``step`` so no float drift (0.30000000000000004) shows."""
    if value == param.value:
        return value
    if value >= param.max:
        return param.max
    if value <= param.min:
        return param.min
    steps = round((value - param.min) / param.step)
    snapped = round(param.min + steps * param.step, min(12, max(decimals(param.min), decimals(param.step))))
    return min(max(snapped, param.min), param.max)
