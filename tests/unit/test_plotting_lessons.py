"""Every plot of every shipped lesson (and every explorer plot at its extreme settings), laid out at the
sizes the app gives it at 80x24: series and markers can be told apart by glyph alone (NO_COLOR, --ascii,
plain mode), each marker is at its value or at the edge with an arrow, and the legend lists them all.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

from ce_tutor.lessons.explore import Explorer
from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.plots import compute_plot
from ce_tutor.lessons.schema import ExploreStep, Lesson, PlotStep
from ce_tutor.lessons.values import compute
from ce_tutor.plotting import layout, to_text
from ce_tutor.plotting.layout import ARROWS, ASCII_ARROWS, ASCII_CLIP, CLIP, bar_glyph, marker_glyph, series_glyph

LESSON_DIR = Path(__file__).resolve().parents[2] / "lessons"
#: The plot widget's size at 80x24: plot steps (a caption above) and explorers (sliders and values above).
SIZES = [(76, 14), (76, 12)]


def shipped_plots():
    """(id, PlotData) for every plot step and every explorer plot at every corner of its sliders."""
    for path in sorted(LESSON_DIR.glob("*.yaml")):
        lesson = validate(Lesson, yaml.safe_load(path.read_text(encoding="utf-8")))
        env = compute(lesson.values, {})
        for n, step in enumerate(lesson.steps):
            if isinstance(step, PlotStep):
                yield f"{lesson.id}-{n}", compute_plot(step.plot, env, max_points=76)
            elif isinstance(step, ExploreStep) and step.plot is not None:
                explorer = Explorer(step, env)
                for corner in itertools.product(*[_settings(p) for p in step.params]):
                    for param, setting in zip(step.params, corner, strict=True):
                        _apply(explorer, param, setting)
                    label = ",".join(f"{p.name}={s}" for p, s in zip(step.params, corner, strict=True))
                    yield f"{lesson.id}-{n}[{label}]", explorer.plot(max_points=76)


def _settings(param) -> list[str]:
    """Where a slider goes: its minimum, its start and its maximum (each at the range it has then). A
    distribution: its start, and each class in turn at 1 (the others rescaled towards 0)."""
    if hasattr(param, "distribution"):
        return ["start", *(f"{i}=1" for i in range(len(param.distribution)))]
    return ["min", "start", "max"]


def _apply(explorer: Explorer, param, setting: str) -> None:
    if hasattr(param, "distribution"):
        sliders = param.sliders
        if setting == "start":
            for slider in sliders:
                explorer.set(slider.name, slider.value)
        else:
            explorer.set(sliders[int(setting.split("=")[0])].name, 1.0)
        return
    low, high = explorer.bounds(param.name)  # a range may follow the other params
    explorer.set(param.name, {"min": low, "start": param.value, "max": high}[setting])


PLOTS = list(shipped_plots())


def test_every_lesson_with_a_plot_is_covered():
    assert {pid.split("-")[0] for pid, _ in PLOTS} >= {"softmax", "neg", "total", "ce", "gradient"}


@pytest.mark.parametrize("ascii", [True, False], ids=["ascii", "unicode"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("plot_id,data", PLOTS, ids=[pid for pid, _ in PLOTS])
def test_series_and_markers_are_told_apart_by_glyph_alone(plot_id, data, size, ascii):
    canvas = layout(data, *size, ascii=ascii)
    text = to_text(canvas)
    assert "Too small" not in text, text
    left, top, width, height = canvas.data_box
    assert height >= 3
    # Which characters each series and marker leaves in the data area (clip marks and arrows aside).
    marks = set(ASCII_CLIP if ascii else CLIP) | set((ASCII_ARROWS if ascii else ARROWS).values())
    seen: dict[str, set[str]] = {}
    for r in range(top, top + height):
        for c in range(left, left + width):
            key = canvas.styles[r][c]
            if key[:1] in ("s", "m") and canvas.chars[r][c] not in marks:
                glyph = canvas.chars[r][c]
                if data.kind != "bar" and key[0] == "s" and not ascii and "\u2800" <= glyph <= "\u28ff":
                    glyph = "braille"
                seen.setdefault(key, set()).add(glyph)
    for a, b in itertools.combinations(seen, 2):
        assert not (seen[a] & seen[b]), f"{a} and {b} share {seen[a] & seen[b]}"
    # Every series and marker has its own glyph, and its entry in the legend.
    legend = "\n".join(canvas.lines()[r] for r in canvas.legend_rows)
    if data.kind == "bar":
        glyphs = [bar_glyph(i, ascii) for i in range(len(data.series))]
    else:
        glyphs = [series_glyph(i, ascii) for i in range(len(data.series))]
    glyphs += [marker_glyph(j, ascii) for j in range(len(data.markers))]
    assert len(set(glyphs)) == len(glyphs)
    for s in data.series:
        assert s.name in legend
    for j, m in enumerate(data.markers):
        assert f"{marker_glyph(j, ascii)} {m.label}" in legend
    # Markers: every one is drawn, at its value or at the edge with an arrow.
    if data.kind != "bar":
        assert len(canvas.markers) == len(data.markers)
        for place in canvas.markers:
            m = data.markers[place.index]
            if place.arrow is None:
                assert place.row == top + height - 1 - canvas.y_axis.cell(m.y)
                assert abs(place.col - (left + canvas.x_axis.cell(m.x))) == (1 if place.moved else 0)
            assert canvas.chars[place.row][place.col] == place.glyph  # not hidden by a later marker
    # Bars: one row a bar, the value printed at its end.
    if data.kind == "bar":
        for s in data.series:
            for v in np.asarray(s.y):
                assert f"{v:.3g}" in text
