"""A computed plot laid out on a grid of cells: a character and a style key in each.

:func:`layout` is pure: ``PlotData`` and a size in, a :class:`Canvas` out. The plain mode prints its
characters; the app turns its style keys into theme colours. The legend, tick labels and axis names sit
outside the data area, so they never hide a point; every position comes from :func:`scale.to_cell`.

Style keys: ``s0``.. (series), ``m0``.. (markers), ``axis``, ``tick``, ``title``, ``label``, ``legend``,
``clip`` (where a curve leaves the plot), ``value`` (the number at the end of a bar), ``note`` (a message in place of the plot), ``""`` (blank).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ce_tutor.plotting import _plotext
from ce_tutor.plotting.scale import Axis, drawable_range, number, tick_label, ticks, to_cell, widen_to_ticks

if TYPE_CHECKING:
    from ce_tutor.lessons.plots import PlotData

#: How series are drawn: a plotext marker (or "braille") in Unicode, a character in ASCII.
SERIES_GLYPHS = ("braille", "+", "×", "•", "∘", "÷")
ASCII_SERIES = ("*", "+", "o", "x", "=", ":")
#: The legend's sample of a braille curve.
BRAILLE_KEY = "⠶"
MARKER_GLYPHS = ("●", "◆", "■", "◉", "▣", "◈")
ASCII_MARKERS = ("@", "#", "$", "&", "%", "H")
#: A marker outside the plot is drawn at the edge it lies beyond: above, below, left, right.
ARROWS = {"up": "▲", "down": "▼", "left": "◀", "right": "▶"}
ASCII_ARROWS = {"up": "^", "down": "v", "left": "<", "right": ">"}
#: Drawn at the edge where a curve leaves the plot (above, below).
CLIP = ("↑", "↓")
ASCII_CLIP = ("!", "!")
EIGHTHS = " ▏▎▍▌▋▊▉"
#: The lower eighths, for bars that stand up (``orientation: vertical``).
LOWER_EIGHTHS = " ▁▂▃▄▅▆▇"
ASCII_BARS = ("#", "=", "*", "+", "o", "%")
FRAME = {"v": "│", "h": "─", "corner": "└", "ytick": "┤", "xtick": "┬"}
ASCII_FRAME = {"v": "|", "h": "-", "corner": "+", "ytick": "+", "xtick": "+"}
#: The fewest rows a plot's data area may have before it gives way to a message.
MIN_DATA_ROWS = 2


def series_glyph(i: int, ascii: bool) -> str:
    """The character that draws (and, in the legend, stands for) series ``i``."""
    if ascii:
        return ASCII_SERIES[i % len(ASCII_SERIES)]
    glyph = SERIES_GLYPHS[i % len(SERIES_GLYPHS)]
    return BRAILLE_KEY if glyph == "braille" else glyph


def marker_glyph(i: int, ascii: bool) -> str:
    return (ASCII_MARKERS if ascii else MARKER_GLYPHS)[i % len(MARKER_GLYPHS)]


def bar_glyph(i: int, ascii: bool) -> str:
    """What stands for bar series ``i``: its fill in ASCII, its tag (before each bar) in Unicode."""
    return ASCII_BARS[i % len(ASCII_BARS)] if ascii else MARKER_GLYPHS[i % len(MARKER_GLYPHS)]


@dataclass(frozen=True)
class MarkerPlace:
    index: int
    row: int
    col: int
    glyph: str
    arrow: str | None  # "up", "down", "left" or "right" when the marker lies beyond the plot
    moved: bool = False  # one column aside, because an earlier marker holds the cell its value maps to


@dataclass
class Canvas:
    """The laid-out plot. ``data_box`` is (left, top, width, height) of the data area."""

    width: int
    height: int
    chars: list[list[str]] = field(init=False)
    styles: list[list[str]] = field(init=False)
    data_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    x_axis: Axis | None = None
    y_axis: Axis | None = None
    x_ticks: list[tuple[float, str, int]] = field(default_factory=list)  # value, label, column
    y_ticks: list[tuple[float, str, int]] = field(default_factory=list)  # value, label, row
    markers: list[MarkerPlace] = field(default_factory=list)
    legend_rows: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chars = [[" "] * self.width for _ in range(self.height)]
        self.styles = [[""] * self.width for _ in range(self.height)]

    def put(self, row: int, col: int, text: str, style: str) -> None:
        """Write ``text`` from (row, col), cut at the right edge."""
        if not 0 <= row < self.height:
            return
        for i, ch in enumerate(text):
            if 0 <= col + i < self.width:
                self.chars[row][col + i] = ch
                self.styles[row][col + i] = style

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.chars]

    def runs(self, row: int) -> list[tuple[str, str]]:
        """Row ``row`` as (text, style) runs."""
        out: list[tuple[str, str]] = []
        for ch, style in zip(self.chars[row], self.styles[row], strict=True):
            if out and out[-1][1] == style:
                out[-1] = (out[-1][0] + ch, style)
            else:
                out.append((ch, style))
        return out

    def in_data(self, row: int, col: int) -> bool:
        left, top, w, h = self.data_box
        return left <= col < left + w and top <= row < top + h


def _marker_text(label: str, y: float, ascii: bool) -> str:
    """A marker's legend text: its label and its value (unless the label already shows it)."""
    label, value = _clean(label), number(y, ascii)
    return label if label.endswith(f": {value}") else f"{label}: {value}"


def message(width: int, height: int, text: str) -> Canvas:
    """A canvas that says ``text`` (wrapped) instead of a plot."""
    canvas = Canvas(max(width, 0), max(height, 0))
    words, line, row = text.split(), "", 0
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            canvas.put(row, 0, line, "note")
            row, line = row + 1, word
        else:
            line = f"{line} {word}" if line else word
    canvas.put(row, 0, line, "note")
    return canvas


def layout(data: PlotData, width: int, height: int, *, ascii: bool = False) -> Canvas:
    """Lay ``data`` out on ``width`` × ``height`` cells. Never raises for any numbers in ``data``."""
    if width < 20 or height < 5:
        return message(width, height, f"Too small to draw a plot ({width}x{height}); make the window larger.")
    if data.kind == "bar":
        if getattr(data, "orientation", "horizontal") == "vertical":
            return _columns(data, width, height, ascii)
        return _bars(data, width, height, ascii)
    return _curves(data, width, height, ascii)


# -- shared pieces --------------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """A label from a lesson, one line, no control characters."""
    return "".join(ch if ch.isprintable() else " " for ch in text.replace("\n", " "))


def _flow(entries: list[tuple[str, str, str]], width: int, right: str | None) -> list[list[tuple[int, str, str]]]:
    """Legend entries (key, key style, text) flowed into rows: each row a list of (column, text, style).

    ``right`` (the x axis name) goes at the right end of the last row, or on a row of its own.
    """
    rows: list[list[tuple[int, str, str]]] = []
    col = width
    for key, style, text in entries:
        entry = f"{key} {text}"[:width]
        if col + len(entry) > width:
            rows.append([])
            col = 0
        rows[-1].append((col, key + " ", style))  # the space goes with the key: the text starts on a glyph
        rows[-1].append((col + len(key) + 1, entry[len(key) + 1:], "legend"))
        col += len(entry) + 3
    if right:
        right = right[:width]
        if not rows or col - 1 + len(right) > width:
            rows.append([])
        rows[-1].append((width - len(right), right, "label"))
    return rows


def _header(canvas: Canvas, left: str, title: str | None) -> None:
    width = canvas.width
    canvas.put(0, 0, left[: width // 2], "label")
    if title:
        room = width - len(left[: width // 2]) - 2 if left else width
        title = title[: max(room, 0)]
        start = max((width - len(title)) // 2, width - len(title) if not left else len(left) + 2)
        start = min(start, width - len(title))
        canvas.put(0, max(start, 0), title, "title")


def _place_x_ticks(canvas: Canvas, axis: Axis, left: int, row: int, ascii: bool, count: int,
                   name: str = "") -> bool:
    """The x ticks: marks on the axis row ``row``, labels under them, as many as fit without touching.

    The axis ``name`` goes at the right end of the label row when it fits there (dropping at most the
    last tick label, if three stay); returns whether it was placed.
    """
    frame = ASCII_FRAME if ascii else FRAME
    for n in range(count, 1, -1):
        step, values = ticks(axis.lo, axis.hi, n)
        placed, end, ok = [], -1, True
        for v in values:
            cell = axis.cell(v)
            if cell is None:
                continue
            label = tick_label(v, step, ascii)
            col = left + cell
            start = min(max(col - len(label) // 2, 0), canvas.width - len(label))
            if start <= end + 1:
                ok = False
                break
            placed.append((v, label, col, start))
            end = start + len(label)
        if ok and len(placed) >= 2 or n == 2:
            break
    for v, _label, col, _start in placed:
        canvas.put(row, col, frame["xtick"], "axis")
    labelled = placed
    room = canvas.width - len(name) - 2
    if name and placed and placed[-1][3] + len(placed[-1][1]) > room:
        labelled = placed[:-1] if len(placed) >= 4 and placed[-2][3] + len(placed[-2][1]) <= room else placed
    fits = bool(name) and (not labelled or labelled[-1][3] + len(labelled[-1][1]) <= room)
    if not fits:
        labelled = placed
    for v, label, col, start in labelled:
        canvas.put(row + 1, start, label, "tick")
        canvas.x_ticks.append((v, label, col))
    if fits:
        canvas.put(row + 1, canvas.width - len(name), name, "label")
    return fits


def _y_ticks(axis: Axis, rows: int) -> tuple[float, list[tuple[float, int]]]:
    """Y tick values and their cells (from the bottom), every 2 rows or more, all on different rows.

    On a log axis the ticks are whole powers of ten (the values returned are the values, not their logs).
    """
    for n in range(max(2, min(rows // 2 + 1, 8)), 1, -1):
        step, values = ticks(axis.lo, axis.hi, n)
        if axis.log:
            step = max(step, 1.0)
            first, last = math.ceil(axis.lo - 1e-9), math.floor(axis.hi + 1e-9)
            values = [10.0**k for k in range(first, last + 1, int(step)) if abs(k) < 300]
        cells = [(v, axis.cell(v)) for v in values]
        cells = [(v, c) for v, c in cells if c is not None]
        used = [c for _, c in cells]
        if len(set(used)) == len(used) and all(abs(a - b) >= 2 for a, b in zip(used, used[1:])) or n == 2:
            return step, cells  # type: ignore[return-value]
    return 1.0, []


# -- lines and scatter ----------------------------------------------------------------------------------------
def _curves(data: PlotData, width: int, height: int, ascii: bool) -> Canvas:
    log = getattr(data, "y_scale", "linear") == "log"
    notes: list[str] = []
    xs = [np.asarray(s.x, dtype=float) for s in data.series]
    ys = [np.asarray(s.y, dtype=float) for s in data.series]
    finite_x = np.concatenate([x[np.isfinite(x)] for x in xs] + [np.zeros(0)])
    # x: the series' own range (the author's grid); markers beyond it get an arrow.
    x_lo, x_hi, x_wide = drawable_range(float(finite_x.min()) if finite_x.size else 0.0,
                                        float(finite_x.max()) if finite_x.size else 1.0)
    # y: the author's limits, else the values (markers included), widened to the next tick.
    def usable(v: np.ndarray) -> np.ndarray:
        v = v[np.isfinite(v)]
        if log:
            v = v[v > 0]
            with np.errstate(all="ignore"):
                v = np.log10(v)
        return v
    pool = np.concatenate([usable(y) for y in ys] + [usable(np.array([m.y for m in data.markers], dtype=float))])
    if log and any(np.any(np.isfinite(y) & (y <= 0)) for y in ys):
        notes.append(f"values {'<=' if ascii else '≤'} 0 left out (log scale)")

    def author(value: float | None) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        if log:
            return math.log10(value) if value > 0 else None
        return value

    a_lo, a_hi = author(data.y_min), author(data.y_max)
    d_lo = float(pool.min()) if pool.size else 0.0
    d_hi = float(pool.max()) if pool.size else 1.0
    lo = a_lo if a_lo is not None else (min(d_lo, a_hi) if a_hi is not None else d_lo)
    hi = a_hi if a_hi is not None else (max(d_hi, a_lo) if a_lo is not None else d_hi)
    y_lo, y_hi, y_wide = drawable_range(lo, hi)
    if y_wide and pool.size:
        notes.append(f"flat: y = {number(10 ** d_lo if log else d_lo, ascii)}")
    if not y_wide and not log:
        y_lo, y_hi = widen_to_ticks(y_lo, y_hi, max(2, (height - 4) // 2), a_lo is not None, a_hi is not None)
    if x_wide and finite_x.size:
        notes.append(f"single x = {number(float(finite_x[0]), ascii)}")

    sub_x, sub_y = (1, 1) if ascii else _plotext.RESOLUTION["braille"]
    probe_y = Axis(y_lo, y_hi, 1, 1, log)

    # The legend: one entry a series and a marker, with what the reader must know.
    entries: list[tuple[str, str, str]] = []
    for i, s in enumerate(data.series):
        text = _clean(s.name)
        y = ys[i][np.isfinite(ys[i])]
        if not y.size:
            text += " (no finite values)"
        else:
            above = bool(np.any(probe_y.shares(y) > 1))
            below = bool(np.any(probe_y.shares(y) < 0))
            clip = ASCII_CLIP if ascii else CLIP
            if above or below:
                where = " and ".join(w for w, on in (("above", above), ("below", below)) if on)
                text += f" ({clip[0] if above else clip[1]} runs on {where})"
        entries.append((series_glyph(i, ascii), f"s{i}", text))
    for j, m in enumerate(data.markers):
        entries.append((marker_glyph(j, ascii), f"m{j}", _marker_text(m.label, m.y, ascii)))
    for note in notes:
        entries.append(("*" if ascii else "※", "legend", note))
    x_name = _clean(data.x_label) + (" ->" if ascii else " →")
    flowed = _flow(entries, width, None)
    while len(flowed) > 1 and height - 3 - len(flowed) < MIN_DATA_ROWS:
        flowed = flowed[:-1]  # a very short plot: the legend's last rows give way to the data
    name_fits_legend = bool(flowed) and max(c + len(t) for c, t, _ in flowed[-1]) + 2 + len(x_name) <= width
    for reserve in (0, 1):  # a row of its own for the x axis name, if it fits nowhere else
        rows = height - 3 - len(flowed) - reserve
        if rows < MIN_DATA_ROWS:
            return message(width, height, f"Too small to draw this plot ({width}x{height}); "
                                          "make the window larger.")
        y_axis = Axis(y_lo, y_hi, rows, sub_y, log)
        y_step, y_cells = _y_ticks(y_axis, rows)
        labels = [(v, number(v, ascii) if log else tick_label(v, y_step, ascii), c) for v, c in y_cells]
        wy = min(max([len(t) for _, t, _ in labels] + [1]), 10)
        left = wy + 1
        cols = width - left - 1
        x_count = max(2, min(cols // 9, 10))
        if reserve or name_fits_legend or rows - 1 < MIN_DATA_ROWS:
            break
        if _place_x_ticks(Canvas(width, 2), Axis(x_lo, x_hi, cols, sub_x), left, 0, ascii, x_count, x_name):
            break
    canvas = Canvas(width, height)
    x_axis = Axis(x_lo, x_hi, cols, sub_x)
    canvas.x_axis, canvas.y_axis = x_axis, y_axis
    top = 1
    canvas.data_box = (left, top, cols, rows)
    _header(canvas, _clean(data.y_label) + (" ^" if ascii else " ↑"), _clean(data.title) if data.title else None)

    # The curves, each in its own glyph, first to last (later series over earlier ones).
    frame = ASCII_FRAME if ascii else FRAME
    for i, _s in enumerate(data.series):
        x, y = xs[i], ys[i]
        keep = np.isfinite(x) & np.isfinite(y)
        if log:
            keep &= y > 0
        if not keep.any():
            continue
        xu, yu = x_axis.shares(x[keep]), y_axis.shares(y[keep])
        glyph = "braille" if not ascii and SERIES_GLYPHS[i % 6] == "braille" else series_glyph(i, ascii)
        lines = data.kind == "line"
        drawn = _curve_rows(xu.tobytes(), yu.tobytes(), cols, rows, glyph, lines)
        for r, text in enumerate(drawn):
            for c, ch in enumerate(text):
                if ch != " ":
                    canvas.put(top + r, left + c, ch, f"s{i}")
        if lines:
            _clip_marks(canvas, xu, yu, i, ascii)

    # The axes: a line on the left with the y ticks, a line below with the x ticks.
    for r in range(rows):
        canvas.put(top + r, wy, frame["v"], "axis")
    for v, text, c in labels:
        row = top + rows - 1 - c
        canvas.put(row, wy, frame["ytick"], "axis")
        canvas.put(row, wy - len(text[:wy]), text[:wy], "tick")
        canvas.y_ticks.append((v, text[:wy], row))
    axis_row = top + rows
    canvas.put(axis_row, wy, frame["corner"] + frame["h"] * (cols + 1), "axis")
    if not _place_x_ticks(canvas, x_axis, left, axis_row, ascii, x_count, x_name):
        _name_in_legend(canvas, flowed, x_name, axis_row + 2 + len(flowed))

    # Markers last, over everything, with the same mapping; beyond the plot: an arrow at the edge.
    arrows = ASCII_ARROWS if ascii else ARROWS
    for j, m in enumerate(data.markers):
        if not (math.isfinite(m.x) and math.isfinite(m.y)) or (log and m.y <= 0):
            continue
        xside, yside = x_axis.side(m.x), y_axis.side(m.y)
        xu = min(max(x_axis.share(m.x), 0.0), 1.0)
        yu = min(max(y_axis.share(m.y), 0.0), 1.0)
        col = left + to_cell(xu, cols, sub_x)
        row = top + rows - 1 - to_cell(yu, rows, sub_y)
        arrow = ("up" if yside > 0 else "down" if yside < 0 else "right" if xside > 0 else "left" if xside < 0
                 else None)
        glyph = arrows[arrow] if arrow else marker_glyph(j, ascii)
        moved = False
        if canvas.styles[row][col].startswith("m"):  # two markers on one cell: the later one steps aside
            for aside in (col + 1, col - 1):
                if left <= aside < left + cols and not canvas.styles[row][aside].startswith("m"):
                    col, moved = aside, True
                    break
        canvas.put(row, col, glyph, f"m{j}")
        canvas.markers.append(MarkerPlace(j, row, col, glyph, arrow, moved))
        if arrow:  # say so in the legend
            _mark_entry(flowed, j, f" {glyph} off the plot")

    _put_legend(canvas, flowed, axis_row + 2)
    return canvas


def _name_in_legend(canvas: Canvas, flowed: list[list[tuple[int, str, str]]], name: str, spare: int) -> None:
    """The axis name at the right end of the last legend row, or on the row after it if there is one."""
    name = name[: canvas.width]
    col = canvas.width - len(name)
    if flowed and max(c + len(t) for c, t, _ in flowed[-1]) + 2 <= col:
        flowed[-1].append((col, name, "label"))
    elif spare < canvas.height:
        canvas.put(spare, col, name, "label")


@functools.lru_cache(maxsize=32)
def _curve_rows(x: bytes, y: bytes, cols: int, rows: int, glyph: str, lines: bool) -> tuple[str, ...]:
    """plotext's rows for a curve, kept for the next key press: an explorer's curves rarely change when a
    slider moves (only its markers do), and plotext takes milliseconds a curve."""
    return tuple(_plotext.curve_rows(np.frombuffer(x), np.frombuffer(y), cols, rows, glyph, lines=lines))


def _mark_entry(flowed: list[list[tuple[int, str, str]]], j: int, extra: str) -> None:
    """Add ``extra`` to marker ``j``'s legend text (if it still fits on its row)."""
    for row in flowed:
        for k, (col, text, style) in enumerate(row):
            if style == f"m{j}" and k + 1 < len(row):
                tcol, ttext, tstyle = row[k + 1]
                nxt = row[k + 2][0] if k + 2 < len(row) else None
                limit = (nxt - 1) if nxt is not None else None
                new = ttext + extra
                if limit is None or tcol + len(new) < limit:
                    row[k + 1] = (tcol, new, tstyle)
                return


def _clip_marks(canvas: Canvas, xu: np.ndarray, yu: np.ndarray, i: int, ascii: bool) -> None:
    """Where a curve leaves the plot above or below, an arrow on the edge row at that column."""
    left, top, cols, rows = canvas.data_box
    clip = ASCII_CLIP if ascii else CLIP
    side = np.where(yu > 1, 1, np.where(yu < 0, -1, 0))
    for k in range(len(side)):
        if side[k] == 0:
            continue
        neighbours = [side[n] for n in (k - 1, k + 1) if 0 <= n < len(side)]
        if 0 not in neighbours and len(neighbours) == 2:
            continue
        if not 0.0 <= xu[k] <= 1.0:
            continue
        col = left + to_cell(float(xu[k]), cols)
        row = top if side[k] > 0 else top + rows - 1
        if canvas.styles[row][col] and canvas.styles[row][col][0] == "m":
            continue
        canvas.put(row, col, clip[0] if side[k] > 0 else clip[1], f"s{i}")


# -- bars ------------------------------------------------------------------------------------------------------
def _bar_values(data: PlotData) -> tuple[list[str], list[list[float]], float, float]:
    """Categories, values (one list a series) and the value range of a bar plot (0 always in it)."""
    cats = [_clean(c) for c in (data.categories or ())]
    values = [[float(s.y[k]) if k < len(s.y) else math.nan for k in range(len(cats))] for s in data.series]
    flat = np.array([v for row in values for v in row], dtype=float)
    fin = flat[np.isfinite(flat)]
    a_lo = data.y_min if data.y_min is not None and math.isfinite(data.y_min) else None
    a_hi = data.y_max if data.y_max is not None and math.isfinite(data.y_max) else None
    lo = a_lo if a_lo is not None else min(0.0, float(fin.min()) if fin.size else 0.0)
    hi = a_hi if a_hi is not None else max(0.0, float(fin.max()) if fin.size else 1.0)
    lo, hi, wide = drawable_range(lo, hi)
    if not wide:
        lo, hi = widen_to_ticks(lo, hi, 5, a_lo is not None, a_hi is not None)
    return cats, values, lo, hi


def _bar_entries(data: PlotData, ascii: bool) -> list[tuple[str, str, str]]:
    """The legend entries of a bar plot: a glyph per series (a full block for a lone series in Unicode,
    whose colour needs no key), then each marker with its value."""
    n_s = max(len(data.series), 1)
    entries = [(bar_glyph(i, ascii) if (ascii or n_s > 1) else "█", f"s{i}", _clean(s.name))
               for i, s in enumerate(data.series)]
    for j, m in enumerate(data.markers):
        entries.append((marker_glyph(j, ascii), f"m{j}", _marker_text(m.label, m.y, ascii)))
    return entries


def _put_legend(canvas: Canvas, flowed: list[list[tuple[int, str, str]]], first_row: int) -> None:
    """Write the legend's rows (from :func:`_flow`) from ``first_row`` down, below the data."""
    for k, row_entries in enumerate(flowed):
        canvas.legend_rows.append(first_row + k)
        for col, text, style in row_entries:
            canvas.put(first_row + k, col, text, style)


def _bars(data: PlotData, width: int, height: int, ascii: bool) -> Canvas:
    """Horizontal bars, one row a series, grouped by category, with eighth-cell ends and the value after."""
    cats, values, lo, hi = _bar_values(data)
    series = data.series
    n_s = max(len(series), 1)
    entries = _bar_entries(data, ascii)
    v_name = _clean(data.y_label) + (" ->" if ascii else " →")
    flowed = _flow(entries, width, None)
    bar_rows = len(cats) * n_s
    free = height - 3 - len(flowed)
    if bar_rows == 0 or free < bar_rows:
        return message(width, height, f"Too small to draw these {bar_rows} bars ({width}x{height}); "
                                      "make the window larger.")
    gap = 1 if free >= bar_rows + len(cats) - 1 else 0
    # Two rows a bar only with room to spare (a plot step, not an explorer at 80x24, where every repainted
    # row costs bytes on each key press).
    thick = 2 if free >= 2 * bar_rows + gap * (len(cats) - 1) + 2 else 1
    texts = [[number(v, ascii) for v in row] for row in values]
    vw = max(len(t) for row in texts for t in row) + 1
    wl = min(max(len(c) for c in cats), 16)
    tag = 2 if n_s > 1 and not ascii else 0
    axis_col = wl + 1 + tag
    left = axis_col + 1
    cols = width - left - vw - 1
    if cols < 4:
        return message(width, height, f"Too narrow to draw these bars ({width} columns).")
    sub = 1 if ascii else 8
    axis = Axis(lo, hi, cols, sub)
    canvas = Canvas(width, height)
    canvas.x_axis = axis
    _header(canvas, _clean(data.x_label), _clean(data.title) if data.title else None)
    frame = ASCII_FRAME if ascii else FRAME
    top = 1
    rows_used = bar_rows * thick + gap * (len(cats) - 1)
    canvas.data_box = (left, top, cols, rows_used)

    def position(v: float) -> int:
        """The sub-cell a value falls in (0 to cols*sub - 1), clamped to the plot."""
        u = axis.share(v)
        u = 0.0 if u < 0 or math.isnan(u) else min(u, 1.0)
        return to_cell(u, cols * sub, 1)

    zero = position(0.0)
    row = top
    for k, cat in enumerate(cats):
        for i in range(n_s):
            v = values[i][k] if i < len(values) else math.nan
            if i == 0:
                canvas.put(row, 0, cat[:wl], "label")
            if tag:
                canvas.put(row, wl + 1, bar_glyph(i, ascii), f"s{i}")
            canvas.put(row, axis_col, frame["v"], "axis")
            end_col = left + zero // sub
            if not math.isnan(v):
                p = position(v)
                if v > 0 or (v == 0 and False):
                    length = p - zero + 1 if v != 0 else 0
                    full, part = divmod(length, sub)
                    start = left + zero // sub
                    fill = ASCII_BARS[i % 6] if ascii else "█"
                    text = fill * full + ("" if ascii or not part else EIGHTHS[part])
                    canvas.put(row, start, text, f"s{i}")
                    end_col = start + len(text)
                elif v < 0:
                    start = left + p // sub
                    stop = left + max(zero - 1, 0) // sub
                    fill = ASCII_BARS[i % 6] if ascii else "█"
                    canvas.put(row, start, fill * (stop - start + 1), f"s{i}")
                    end_col = max(end_col, left + zero // sub + 1)
                if axis.side(v) > 0:
                    canvas.put(row, left + cols - 1, (ASCII_ARROWS if ascii else ARROWS)["right"], "clip")
                    end_col = left + cols
                elif axis.side(v) < 0:
                    canvas.put(row, left, (ASCII_ARROWS if ascii else ARROWS)["left"], "clip")
            canvas.put(row, end_col + 1, texts[i][k] if i < len(texts) else "", "value")
            for extra in range(1, thick):  # a thicker bar: the same cells again, without the words
                for c in range(axis_col, left + cols):
                    if canvas.styles[row][c] in (f"s{i}", "clip", "axis"):
                        canvas.put(row + extra, c, canvas.chars[row][c], canvas.styles[row][c])
            row += thick
        row += gap if k < len(cats) - 1 else 0
    axis_row = top + rows_used
    canvas.put(axis_row, axis_col, frame["corner"] + frame["h"] * cols, "axis")
    if not _place_x_ticks(canvas, axis, left, axis_row, ascii, max(2, min(cols // 9, 10)), v_name):
        _name_in_legend(canvas, flowed, v_name, axis_row + 2 + len(flowed))
    _put_legend(canvas, flowed, axis_row + 2)
    return canvas


def _columns(data: PlotData, width: int, height: int, ascii: bool) -> Canvas:
    """Bars that stand up: a column a series, grouped by category, eighth-cell tops, the value above."""
    cats, values, lo, hi = _bar_values(data)
    series = data.series
    n_s = max(len(series), 1)
    entries = _bar_entries(data, ascii)
    flowed = _flow(entries, width, _clean(data.x_label) + (" ->" if ascii else " →"))
    rows = height - 3 - len(flowed)
    texts = [[number(v, ascii) for v in row] for row in values]
    if not cats or rows < MIN_DATA_ROWS + 1:
        return message(width, height, f"Too small to draw these bars ({width}x{height}); make the window larger.")
    sub = 1 if ascii else 8
    probe = Axis(lo, hi, rows - 1, sub)  # the top row is kept for the values above the bars
    step, cells = _y_ticks(probe, rows - 1)
    labels = [(v, tick_label(v, step, ascii), c) for v, c in cells]
    wy = min(max([len(t) for _, t, _ in labels] + [1]), 10)
    left = wy + 1
    cols = width - left - 1
    group = cols // len(cats)
    bw = max(1, min(max(len(t) for row in texts for t in row), (group - 2) // n_s))
    if group < n_s + 1:
        return message(width, height, f"Too narrow to draw these {len(cats)} groups of bars ({width} columns).")
    canvas = Canvas(width, height)
    canvas.y_axis = probe
    top = 1
    canvas.data_box = (left, top, cols, rows)
    _header(canvas, _clean(data.y_label) + (" ^" if ascii else " ↑"), _clean(data.title) if data.title else None)
    frame = ASCII_FRAME if ascii else FRAME
    bottom = top + rows - 1  # the row of the lowest cell

    def position(v: float) -> int:
        u = probe.share(v)
        u = 0.0 if u < 0 or math.isnan(u) else min(u, 1.0)
        return to_cell(u, (rows - 1) * sub, 1)

    zero = position(0.0)
    for k, cat in enumerate(cats):
        start = left + k * group + max((group - n_s * bw) // 2, 0)
        for i in range(n_s):
            col = start + i * bw
            v = values[i][k] if i < len(values) else math.nan
            top_row = bottom - zero // sub
            if not math.isnan(v):
                p = position(v)
                fill = ASCII_BARS[i % 6] if ascii else "█"
                if v > 0:
                    length = p - zero + 1
                    full, part = divmod(length, sub)
                    for r in range(full):
                        canvas.put(bottom - zero // sub - r, col, fill * bw, f"s{i}")
                    top_row = bottom - zero // sub - full
                    if part and not ascii:
                        canvas.put(top_row, col, LOWER_EIGHTHS[part] * bw, f"s{i}")
                        top_row -= 1
                elif v < 0:
                    for r in range(bottom - zero // sub + 1, bottom - p // sub + 1):
                        canvas.put(r, col, fill * bw, f"s{i}")
                if probe.side(v) > 0:
                    canvas.put(top + 1, col, (ASCII_ARROWS if ascii else ARROWS)["up"] * bw, "clip")
                    top_row = top
            text = texts[i][k][: max(bw, 1) + (1 if i == n_s - 1 else 0)]
            canvas.put(max(top_row, top), col, text, "value")
        canvas.put(bottom + 2, left + k * group + max((group - len(cat[: group - 1])) // 2, 0), cat[: group - 1],
                   "label")
    for r in range(top, bottom + 1):
        canvas.put(r, wy, frame["v"], "axis")
    for v, text, c in labels:
        row = bottom - c
        canvas.put(row, wy, frame["ytick"], "axis")
        canvas.put(row, wy - len(text[:wy]), text[:wy], "tick")
        canvas.y_ticks.append((v, text[:wy], row))
    canvas.put(bottom + 1, wy, frame["corner"] + frame["h"] * (cols + 1), "axis")
    if n_s > 1 and not ascii:  # each bar's series tag under it, so no colour is needed to tell them apart
        for k in range(len(cats)):
            start = left + k * group + max((group - n_s * bw) // 2, 0)
            for i in range(n_s):
                canvas.put(bottom + 1, start + i * bw + (bw - 1) // 2, bar_glyph(i, ascii), f"s{i}")
    _put_legend(canvas, flowed, bottom + 3)
    return canvas
