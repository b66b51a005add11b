"""The explorer: parameters moved on their step grid, and everything derived following them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ce_tutor.lessons.explore import BIG_STEP, ExploreError, Explorer
from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import ExploreStep

LESSON_ENV = {"scale": 2.0}


def explorer(**fields: Any) -> Explorer:
    step: dict[str, Any] = {
        "type": "explore",
        "text": "Start at q = {q:.2f}.",
        "params": [{"name": "q", "min": 0, "max": 1, "step": 0.1, "value": 0.5}],
        "derived": {"ce": "-ln(q)", "scaled": "scale * ce"},
        "show": ["-ln {q:.1f} = {ce:.3f}", "times {scale:.0f}: {scaled:.3f}"],
        "plot": {
            "x_label": "p", "y_label": "loss", "x": {"min": 0.1, "max": 1, "points": 10},
            "series": [{"name": "-ln p", "y": "-ln(x)"}],
            "markers": [{"label": "you", "x": "q", "y": "ce"}],
        },
    }
    return Explorer(validate(ExploreStep, step | fields), LESSON_ENV)


def test_it_starts_at_each_params_value_and_shows_everything():
    e = explorer()
    assert e.values == {"q": 0.5}
    assert [p.name for p in e.params] == ["q"]
    assert e.lines() == ["-ln 0.5 = 0.693", "times 2: 1.386"]
    assert e.text() == "Start at q = 0.50."
    env = e.env()
    assert (env["scale"], env["q"], env["ce"]) == (2.0, 0.5, pytest.approx(np.log(2)))
    [marker] = e.plot().markers
    assert (marker.x, marker.y) == (0.5, pytest.approx(np.log(2)))


def test_nudging_moves_by_one_step_or_a_big_step_without_float_drift():
    e = explorer(params=[{"name": "q", "min": 0, "max": 3, "step": 0.1, "value": 0}])
    for _ in range(3):
        assert e.nudge("q", +1)
    assert e.values["q"] == 0.3  # not 0.30000000000000004
    assert e.nudge("q", -1) and e.values["q"] == 0.2
    assert e.nudge("q", +5, big=True) and e.values["q"] == pytest.approx(0.2 + BIG_STEP * 0.1)
    assert repr(e.values["q"]) == "1.2"
    assert not e.nudge("q", 0)


def test_nudging_stops_at_the_ends_and_says_so():
    e = explorer()
    for _ in range(5):
        e.nudge("q", +1)
    assert e.values["q"] == 1.0
    assert not e.nudge("q", +1)
    assert e.nudge("q", -1, big=True) and e.values["q"] == 0.0
    assert not e.nudge("q", -1)


def test_an_end_off_the_grid_is_still_reached():
    e = explorer(params=[{"name": "q", "min": 0, "max": 1, "step": 0.3, "value": 0.9}])
    assert e.nudge("q", +1) and e.values["q"] == 1.0
    assert e.nudge("q", -1) and e.values["q"] == 0.9  # the nearest grid point below


def test_from_between_grid_points_a_nudge_goes_to_the_next_grid_point_that_way():
    e = explorer(params=[{"name": "q", "min": 0, "max": 1, "step": 0.1, "value": 0.55}])
    assert e.nudge("q", +1) and e.values["q"] == 0.6
    e.reset()
    assert e.nudge("q", -1) and e.values["q"] == 0.5


def test_set_keeps_values_in_range_and_on_the_grid():
    e = explorer()
    assert e.set("q", 0.34) and e.values["q"] == 0.3
    assert not e.set("q", 0.31)  # the same grid point: nothing changed
    assert e.set("q", 7) and e.values["q"] == 1.0
    assert e.set("q", -np.inf) and e.values["q"] == 0.0
    assert not e.set("q", float("nan"))


def test_reset_goes_back_to_the_start_even_off_the_grid():
    e = explorer(params=[{"name": "q", "min": 0, "max": 1, "step": 0.1, "value": 0.55}])
    e.nudge("q", +1, big=True)
    e.reset()
    assert e.values == {"q": 0.55}
    assert e.lines()[0] == "-ln 0.6 = 0.598"  # 0.55 shown with one decimal; the value itself is 0.55


def test_everything_derived_is_cached_until_a_value_changes():
    e = explorer()
    plot, lines = e.plot(), e.lines()
    assert e.plot() is plot and e.lines() is lines
    assert e.plot(max_points=5) is not plot and len(e.plot(max_points=5).series[0].x) == 5
    e.nudge("q", +1)
    assert e.plot() is not plot
    assert e.lines() == ["-ln 0.6 = 0.511", "times 2: 1.022"]
    assert e.plot().markers[0].x == 0.6


def test_env_is_a_copy():
    e = explorer()
    e.env()["ce"] = 99
    assert e.env()["ce"] == pytest.approx(np.log(2))


def test_a_step_without_text_or_plot_gives_none():
    e = explorer(text=None, plot=None)
    assert e.text() is None and e.plot() is None


def test_an_unknown_parameter_is_a_key_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="no parameter 'z'; the parameters are q"):
        explorer().nudge("z", 1)


EMPTY_RANGE_AT_THE_TOP = {
    "x_label": "a", "y_label": "b", "x": {"min": "q", "max": 1}, "series": [{"name": "s", "y": "x"}],
}


@pytest.mark.parametrize(
    ("fields", "call", "at", "fragment"),
    [
        ({"derived": {"ce": "-ln(q)", "pick": "[1, 2][round(q * 3)]"}}, "env", ("derived", "pick"), "out of range"),
        ({"show": ["{q[0]}"]}, "lines", ("show", 0), "only a list can be indexed"),
        ({"text": "{q / 3:d}"}, "text", ("text",), "shows whole numbers"),
        ({"plot": EMPTY_RANGE_AT_THE_TOP}, "plot", ("plot", "x"), "smaller to a larger number"),
    ],
)
def test_what_cannot_be_computed_is_an_explore_error_saying_where(fields, call, at, fragment):
    """Each case breaks at q = 1 (the top of its range)."""
    e = explorer(**fields)
    e.set("q", 1.0)
    with pytest.raises(ExploreError) as caught:
        getattr(e, call)()
    assert caught.value.at == at
    assert fragment in caught.value.reason


def test_the_start_value_can_be_set_again_even_off_the_grid():
    e = explorer(params=[{"name": "q", "min": 0, "max": 1, "step": 0.1, "value": 0.55}])
    values = e.values
    assert e.set("q", 0.2) and not e.set("q", 0.21)
    assert e.set("q", 0.55) and e.values["q"] == 0.55
    e.nudge("q", +1)
    e.reset()
    assert e.values is values and values == {"q": 0.55}  # reset updates the same dict in place


def distribution(**fields: Any) -> Explorer:
    step: dict[str, Any] = {
        "type": "explore",
        "params": [{"name": "q", "distribution": ["A", "B", "C"], "value": [0.5, 0.3, 0.2], "step": 0.05}],
        "show": ["{q:.2f} sum {sum(q):.6f} CE {-ln(q[0]):.3f}"],
    }
    return Explorer(validate(ExploreStep, step | fields), LESSON_ENV)


def test_a_distribution_has_a_slider_per_class_and_stays_a_distribution():
    e = distribution()
    assert [(p.name, p.label, p.min, p.max) for p in e.params] == [
        ("q0", "A", 0.0, 1.0), ("q1", "B", 0.0, 1.0), ("q2", "C", 0.0, 1.0)
    ]
    np.testing.assert_array_equal(e.env()["q"], [0.5, 0.3, 0.2])
    assert "q0" not in e.env()  # the formulas see the list, not the sliders
    assert e.nudge("q0", 1)
    # the others keep their 3 : 2 ratio and take what is left
    assert (e.values["q0"], e.values["q1"], e.values["q2"]) == (0.55, pytest.approx(0.27), pytest.approx(0.18))
    assert e.lines() == ["0.55, 0.27, 0.18 sum 1.000000 CE 0.598"]
    e.set("q0", 1.0)
    assert (e.values["q1"], e.values["q2"]) == (0.0, 0.0)
    e.nudge("q0", -1, big=True)  # from all in one class, the rest is shared evenly
    assert (e.values["q0"], e.values["q1"], e.values["q2"]) == (0.5, 0.25, 0.25)
    e.nudge("q2", 1)
    assert sum(e.values.values()) == pytest.approx(1.0, abs=1e-12)
    e.reset()
    assert e.values == {"q0": 0.5, "q1": 0.3, "q2": 0.2}


def test_the_schema_refuses_a_bad_distribution():
    base = {"type": "explore", "params": [{"name": "q", "distribution": ["A", "B"], "value": [0.5, 0.5]}]}
    validate(ExploreStep, base)
    for param, message in [
        ({"name": "q", "distribution": ["A", "B"], "value": [0.5, 0.6]}, "must sum to 1"),
        ({"name": "q", "distribution": ["A", "B", "C"], "value": [0.5, 0.5]}, "value has 2 numbers"),
        ({"name": "q", "distribution": ["A"], "value": [1.0]}, "at least 2"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate(ExploreStep, base | {"params": [param]})
    twice = [{"name": "q0", "min": 0, "max": 1, "step": 0.1, "value": 0}, base["params"][0]]
    with pytest.raises(ValueError, match="'q0' is used by two params"):
        validate(ExploreStep, base | {"params": twice})


def test_a_range_may_follow_another_param():
    e = explorer(
        params=[
            {"name": "a", "min": 0, "max": 0.9, "step": 0.1, "value": 0.2},
            {"name": "q", "min": "a / 2", "max": "1 - a", "step": 0.1, "value": 0.5},
        ],
        derived={"ce": "-ln(q)", "scaled": "scale * ce"},
    )
    assert e.bounds("q") == (0.1, 0.8)
    assert not e.set("q", 0.8) or e.values["q"] == 0.8
    e.set("q", 5)
    assert e.values["q"] == 0.8  # kept inside its range
    e.set("a", 0.5)
    assert e.bounds("q") == (0.25, 0.5) and e.values["q"] == 0.5  # moved back inside the new range
    e.nudge("q", -1)
    assert e.values["q"] == pytest.approx(0.45)  # the grid counts from the range's start: 0.25, 0.35, 0.45
    e.set("q", 0)
    assert e.values["q"] == 0.25


def test_a_range_that_cannot_be_computed_is_an_explore_error():
    e = explorer(
        params=[
            {"name": "a", "min": 0, "max": 1, "step": 0.5, "value": 0},
            {"name": "q", "min": 0, "max": "1 - a", "step": 0.1, "value": 0.5},
        ],
        derived={"ce": "-ln(q)", "scaled": "scale * ce"},
    )
    e.set("a", 1)
    with pytest.raises(ExploreError, match="the range 0 to 0 is empty") as info:
        e.lines()
    assert info.value.at == ("params", 1)


def test_moved_works_out_a_nudge_from_given_values_without_changing_the_explorer():
    """What a front end shows at once, before the explorer computes the move in the background."""
    for make, moves in ((explorer, [("q", 1, False), ("q", -1, True), ("q", 1, False)]),
                        (distribution, [("q0", 1, False), ("q2", -1, True), ("q1", 1, False), ("q0", -1, True)])):
        e, shadow = make(), make()
        shown = dict(e.values)
        for name, direction, big in moves:
            shown = e.moved(shown, name, direction, big, e.bounds(name))
            shadow.nudge(name, direction, big=big)
            assert shown == shadow.values  # the same arithmetic as a real nudge
        assert e.values == e.start_values()  # and the explorer itself did not move
    e = explorer()
    at_top = {"q": 1.0}
    assert e.moved(at_top, "q", 1, False, (0.0, 1.0)) == at_top  # at the end: nothing moves
