"""sigmoid, softplus, logs in any base, and nats <-> bits: against mpmath and closed forms."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_tutor import core, formula

mpmath.mp.dps = 50
REALS = st.floats(min_value=-700, max_value=700, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(REALS)
def test_sigmoid_matches_mpmath(x: float) -> None:
    exact = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
    assert core.sigmoid(x) == pytest.approx(float(exact), rel=1e-14, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(REALS)
def test_softplus_matches_mpmath(x: float) -> None:
    exact = mpmath.log1p(mpmath.exp(mpmath.mpf(x)))  # log1p: 1 + e^-700 needs no 700 digits
    assert core.softplus(x) == pytest.approx(float(exact), rel=1e-14, abs=1e-300)


def test_sigmoid_and_softplus_at_the_extremes_and_on_arrays() -> None:
    x = np.array([-np.inf, -1000.0, 0.0, 1000.0, np.inf])
    np.testing.assert_array_equal(core.sigmoid(x), [0.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(core.softplus(x), [0.0, 0.0, math.log(2), 1000.0, np.inf])
    assert core.softplus(-50.0) == pytest.approx(math.exp(-50.0), rel=1e-14)  # no 1 + tiny rounding to 1
    with pytest.raises(ValueError, match="NaN"):
        core.sigmoid(float("nan"))
    with pytest.raises(ValueError, match="NaN"):
        core.softplus([0.0, float("nan")])


def test_softplus_is_minus_log_sigmoid_and_bce_from_a_logit() -> None:
    x = np.linspace(-30, 10, 41)  # beyond, -log(sigmoid(x)) itself loses the digits softplus keeps
    np.testing.assert_allclose(core.softplus(-x), -np.log(core.sigmoid(x)), rtol=1e-9)
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(core.softplus(-x), core.binary_cross_entropy_with_logits(x, 1.0), rtol=1e-12)


def test_log_in_a_base() -> None:
    assert core.log_base(8, 2) == pytest.approx(3.0, rel=1e-15)
    assert core.log_base(1000, 10) == pytest.approx(3.0, rel=1e-15)
    assert core.log_base(0.0, 2) == -math.inf
    np.testing.assert_allclose(core.log_base([1.0, 4.0, 0.5], 2), [0.0, 2.0, -1.0])
    for base in (1, 0, -2, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="positive number other than 1"):
            core.log_base(2.0, base)
    with pytest.raises(ValueError, match=">= 0"):
        core.log_base(-1.0, 2)


def test_nats_and_bits() -> None:
    assert core.nats_to_bits(math.log(2)) == pytest.approx(1.0, rel=1e-15)
    assert core.bits_to_nats(1.0) == pytest.approx(math.log(2), rel=1e-15)
    assert core.BITS_PER_NAT == pytest.approx(float(1 / mpmath.log(2)), rel=1e-15)
    p = 0.57
    assert core.nats_to_bits(-math.log(p)) == pytest.approx(-math.log2(p), rel=1e-14)
    np.testing.assert_allclose(core.bits_to_nats(core.nats_to_bits([0.1, 2.0, 7.5])), [0.1, 2.0, 7.5])
    # entropy of a fair coin is one bit; of a fair die, log2(6) bits
    assert core.nats_to_bits(core.entropy([0.5, 0.5])) == pytest.approx(1.0, rel=1e-15)
    assert core.nats_to_bits(core.entropy(np.full(6, 1 / 6))) == pytest.approx(math.log2(6), rel=1e-14)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("sigmoid(0)", 0.5), ("softplus(0)", math.log(2)), ("log(8, 2)", 3.0), ("log(100, 10)", 2.0),
        ("log(e)", 1.0), ("nats_to_bits(ln(2))", 1.0), ("bits_to_nats(1)", math.log(2)),
        ("nats_to_bits(-ln(0.25))", 2.0), ("log(0.25, 2)", -2.0),
    ],
)
def test_the_new_functions_in_formulas(source: str, expected: float) -> None:
    assert formula.evaluate(source) == pytest.approx(expected, rel=1e-14)


def test_the_new_functions_take_lists_and_refuse_bad_input() -> None:
    np.testing.assert_allclose(formula.evaluate("log(x, 2)", {"x": [1.0, 2.0, 8.0]}), [0.0, 1.0, 3.0])
    np.testing.assert_allclose(formula.evaluate("sigmoid(x)", {"x": [0.0, 2.0]}), core.sigmoid([0.0, 2.0]))
    with pytest.raises(formula.FormulaError, match=r"log\(\): the base of a logarithm"):
        formula.evaluate("log(2, 1)")
    with pytest.raises(formula.FormulaError, match=r"log\(\) takes 1 to 2 arguments, got 3"):
        formula.parse("log(2, 2, 2)")
    with pytest.raises(formula.FormulaError, match="cannot combine lists"):
        formula.evaluate("log([1, 2], [2, 3, 4])")
    for name in ("sigmoid", "softplus", "nats_to_bits", "bits_to_nats"):
        assert formula.is_reserved(name)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=5), st.integers(0, 4))
def test_slopes_through_softmax_match_mpmath_derivatives(z: list[float], y: int) -> None:
    """d(-ln p_y)/dz_y = -(1 - p_y) and d(1 - p_y)^2/dz_y = -2 p_y (1 - p_y)^2, with the others held fixed."""
    y = y % len(z)
    mpmath.mp.dps = 30

    def p_of(zy):
        zs = [mpmath.mpf(v) for v in z]
        zs[y] = zy
        return mpmath.exp(zs[y]) / mpmath.fsum(mpmath.exp(v) for v in zs)

    zy = mpmath.mpf(z[y])
    p = float(p_of(zy))
    assert core.neg_log_grad_raw(p) == pytest.approx(float(mpmath.diff(lambda t: -mpmath.log(p_of(t)), zy)), abs=1e-12)
    assert core.squared_residual_grad_raw(p) == pytest.approx(float(mpmath.diff(lambda t: (1 - p_of(t)) ** 2, zy)), abs=1e-12)
    assert core.softmax_slope(p) == pytest.approx(float(mpmath.diff(p_of, zy)), abs=1e-12)
    mpmath.mp.dps = 50


def test_ssr_slope_through_softmax_fades_when_confidently_wrong() -> None:
    p = np.array([0.001, 0.01, 0.1, 0.5])
    np.testing.assert_allclose(core.neg_log_grad_raw(p), [-0.999, -0.99, -0.9, -0.5])
    np.testing.assert_allclose(core.squared_residual_grad_raw(p), -2 * p * (1 - p) ** 2)
    ratio = core.squared_residual_grad_raw(p) / core.neg_log_grad_raw(p)
    np.testing.assert_allclose(ratio, 2 * p * (1 - p))  # the extra softmax factor
    assert abs(core.squared_residual_grad_raw(0.0)) == 0.0 and core.neg_log_grad_raw(0.0) == -1.0
