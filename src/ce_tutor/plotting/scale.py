"""Axes: a value range, the one value-to-cell mapping, and nice 1-2-5 ticks.

Every position on a plot (a curve's points as plotext draws them, a tick label, a marker, the end of a bar)
comes from :func:`to_cell`, so a label always sits on the row or column its value maps to. Ranges are made
drawable here: zero-width, reversed, non-finite and near-float-limit ranges never reach the drawing code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_MAX = np.finfo(np.float64).max
#: A range narrower than this share of its magnitude cannot be told apart from a single value.
_NARROW = 1e-9


def to_cell(u: float, cells: int, sub: int = 1) -> int:
    """The cell (0-based, from the low end) of a value at share ``u`` (0 to 1) of an axis of ``cells`` cells.

    ``sub`` is how many dots a cell holds along the axis (braille: 2 across, 4 down; eighth blocks: 8).
    This is plotext's own mapping (``0.5 + (bins - 1) * u``, rounded half up at 8 decimals, floored), so
    a marker or tick placed with it lands in the cell where plotext draws a point of the same value.
    """
    bins = cells * sub
    n = 0.5 + (bins - 1) * u
    scaled = n * 1e8
    f = math.floor(scaled)
    n = (f if scaled - f < 0.5 else math.ceil(scaled)) / 1e8
    return math.floor(n) // sub


@dataclass(frozen=True)
class Axis:
    """A drawable range ``lo`` < ``hi`` (finite, in log10 units when ``log``) over ``cells`` cells."""

    lo: float
    hi: float
    cells: int
    sub: int = 1
    log: bool = False

    def transform(self, value: float) -> float:
        """The value in axis units (log10 for a log axis; NaN where it has none)."""
        if self.log:
            return math.log10(value) if value > 0 and math.isfinite(value) else math.nan
        return value

    def share(self, value: float) -> float:
        """Where ``value`` falls, 0 at ``lo`` and 1 at ``hi`` (computed in halves, so it never overflows)."""
        t = self.transform(value)
        if not math.isfinite(t):
            return t if not math.isnan(t) else math.nan
        return (t / 2 - self.lo / 2) / (self.hi / 2 - self.lo / 2)

    def shares(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            t = np.log10(np.where(values > 0, values, np.nan)) if self.log else np.asarray(values, dtype=float)
            return (t / 2 - self.lo / 2) / (self.hi / 2 - self.lo / 2)

    def cell(self, value: float) -> int | None:
        """The cell ``value`` maps to, or None when it is outside the axis (or not a number)."""
        u = self.share(value)
        if not (0.0 <= u <= 1.0):
            return None
        return to_cell(u, self.cells, self.sub)

    def side(self, value: float) -> int:
        """-1 below the axis, 1 above it, 0 inside (NaN counts as inside: the caller checks it)."""
        u = self.share(value)
        return -1 if u < 0 else 1 if u > 1 else 0


def drawable_range(lo: float, hi: float) -> tuple[float, float, bool]:
    """``(lo, hi, widened)``: a finite range with room between its ends.

    A reversed range is turned round; a range of zero (or next to zero) width is widened around its middle
    (``widened`` says so, for a note); non-finite ends fall back to 0 and 1.
    """
    if not math.isfinite(lo) and not math.isfinite(hi):
        return 0.0, 1.0, True
    if not math.isfinite(lo):
        lo = hi
    if not math.isfinite(hi):
        hi = lo
    if lo > hi:
        lo, hi = hi, lo
    span = hi / 2 - lo / 2
    if span > max(abs(lo), abs(hi)) * _NARROW and span > 1e-150:
        return lo, hi, False
    mid = lo / 2 + hi / 2
    half = abs(mid) / 2 if abs(mid) > 1e-150 else 1.0
    low, high = mid - half, mid + half
    low, high = (low if math.isfinite(low) else -_MAX), (high if math.isfinite(high) else _MAX)
    return low, high, True


def nice_step(span: float, count: int) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``count`` parts."""
    raw = span / max(count, 1)
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    exp = math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 5.0, 10.0):
        step = mult * 10.0**exp
        if step >= raw * (1 - 1e-12):
            return step
    return 10.0 ** (exp + 1)


def ticks(lo: float, hi: float, count: int) -> tuple[float, list[float]]:
    """``(step, values)``: the multiples of a 1-2-5 step between ``lo`` and ``hi`` (about ``count`` of them)."""
    span = (hi / 2 - lo / 2) * 2 if math.isfinite(hi - lo) else _MAX
    step = nice_step(span, max(count - 1, 1))
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    if last - first > 60:  # a step lost in rounding (ranges near the float limits)
        return step, [lo, hi]
    values = [k * step for k in range(first, last + 1)]
    return step, [0.0 if abs(v) < step * 1e-9 else v for v in values if math.isfinite(v)]


def widen_to_ticks(lo: float, hi: float, count: int, keep_lo: bool, keep_hi: bool) -> tuple[float, float]:
    """Widen the ends the author did not fix to the next tick, so the axis starts and ends on a label."""
    step, _ = ticks(lo, hi, count)
    new_lo = lo if keep_lo else math.floor(lo / step + 1e-9) * step
    new_hi = hi if keep_hi else math.ceil(hi / step - 1e-9) * step
    if not (math.isfinite(new_lo) and math.isfinite(new_hi) and new_lo < new_hi):
        return lo, hi
    return new_lo, new_hi


def tick_label(value: float, step: float, ascii: bool = False) -> str:
    """A tick value with as many decimals as the step needs (``0.25``, ``2``, ``1e+06``)."""
    if value == 0:
        return "0"
    if 1e-4 <= abs(step) and abs(value) < 1e6:
        places = max(0, -math.floor(math.log10(step) + 1e-9))
        if step * 10**places % 1 > 1e-6:  # a step of 0.25 needs 2 places, not 1
            places += 1
        text = f"{value:.{places}f}"
    else:
        text = f"{value:.2g}"
    return text


def number(value: float, ascii: bool = False) -> str:
    """A value in a legend or at the end of a bar: 3 significant digits, words for what is not a number."""
    if math.isnan(value):
        return "nan" if ascii else "undefined"
    if math.isinf(value):
        return ("inf" if ascii else "∞") if value > 0 else ("-inf" if ascii else "-∞")
    text = f"{value:.3g}"
    return "0" if text in ("-0", "-0.0") else text
