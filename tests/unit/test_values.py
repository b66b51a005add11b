"""Named values computed in order, rounded as displayed."""

import numpy as np
import pytest

from ce_tutor.core import IRIS_X, IrisNetwork, softmax
from ce_tutor.lessons.schema import Derived
from ce_tutor.lessons.values import ComputeError, compute, round_value


def test_values_see_earlier_values_and_the_environment():
    out = compute({"z": "iris_logits(iris_x(0)[0], iris_x(0)[1], b3)", "p": "softmax(z)"}, {"b3": 0.0})
    expected = softmax(IrisNetwork().logits(IRIS_X[:1])[0])
    np.testing.assert_allclose(out["p"], expected)
    assert out["b3"] == 0.0


def test_rounded_values_feed_later_values_as_shown():
    out = compute({"p": Derived(formula="softmax([1.04, 0, 0.14])[0]", round=2), "ce": "-ln(p)"}, {})
    assert out["p"] == 0.57
    assert out["ce"] == pytest.approx(-np.log(0.57), rel=1e-15)


def test_a_failing_value_is_named():
    with pytest.raises(ComputeError, match="^bad: .*nope"):
        compute({"ok": "1", "bad": "nope + 1"}, {})


def test_round_value_drops_negative_zero_and_keeps_arrays():
    assert str(round_value(-0.0001, 2)) == "0.0"
    np.testing.assert_array_equal(round_value(np.array([0.125, 0.135]), 2), [0.12, 0.14])
