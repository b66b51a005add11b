"""ce-tutor check reports plot ranges that cannot be drawn as written, each on its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ce_tutor.lessons.check import check_paths

HEAD = """\
schema_version: 1
id: ranges
title: Ranges
summary: Plot ranges for the checker.
"""


def found(tmp_path: Path, body: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "ranges.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return [(p.line, p.message) for p in check_paths([path], variants=5)]


def test_a_y_range_of_no_height_and_a_log_scale_from_zero_are_reported(tmp_path):
    problems = found(tmp_path, """\
        steps:
          - type: plot
            plot:
              x_label: x
              y_label: y
              x: {min: 0.1, max: 1}
              series:
                - {name: c, y: "x"}
              y_min: 2
              y_max: 2
          - type: plot
            plot:
              x_label: x
              y_label: y
              x: {min: 0.1, max: 1}
              y_scale: log
              series:
                - {name: below, y: "-x"}
              y_min: 0
        """)
    assert (14, "steps[0].plot.y_max: y_max (2) must be above y_min (2): there is no range to draw") in problems
    assert (23, "steps[1].plot.y_min: a log scale starts above 0, not at 0") in problems
    assert (22, "steps[1].plot.series[0].y: has no value above 0, so a log scale shows nothing of it") in problems


def test_a_curve_wholly_outside_its_range_is_reported_with_the_explorer_setting(tmp_path):
    problems = found(tmp_path, """\
        steps:
          - type: explore
            params:
              - {name: a, min: 0, max: 10, step: 1, value: 0}
            plot:
              x_label: x
              y_label: y
              x: {min: 0, max: 1}
              series:
                - {name: lifted, y: "x + a"}
              y_min: 0
              y_max: 1.5
        """)
    assert any(line == 14 and "lies wholly outside y_min..y_max" in message and "with a = " in message
               for line, message in problems), problems


def test_the_shipped_lessons_draw_as_written():
    assert check_paths(None, variants=5) == []


def test_the_schema_offers_y_scale_and_orientation():
    from ce_tutor.lessons.loader import json_schema

    plot = json_schema()["$defs"]["PlotSpec"]["properties"]
    assert plot["y_scale"]["enum"] == ["linear", "log"] and plot["y_scale"]["default"] == "linear"
    assert plot["orientation"]["enum"] == ["horizontal", "vertical"]
    assert "bar" in plot["orientation"]["description"]


def test_a_bar_plot_cannot_have_a_log_scale(tmp_path):
    problems = found(tmp_path, """\
        steps:
          - type: plot
            plot:
              kind: bar
              x_label: x
              y_label: y
              y_scale: log
              categories: [a]
              series:
                - {name: s, y: "[1]"}
        """)
    assert len(problems) == 1 and "log scale" in problems[0][1] and problems[0][0] is not None
