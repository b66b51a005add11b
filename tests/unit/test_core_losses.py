"""The numeric core's losses: stability, accuracy against mpmath, input checks and closed forms.

Every test here runs with warnings turned into errors, so a ``RuntimeWarning`` (overflow, log of zero,
invalid value) escaping from the core fails the test that triggered it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ce_tutor.core import (
    SUM_TOLERANCE,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_from_logits,
    cross_entropy_grad_logits,
    entropy,
    kl_divergence,
    log_softmax,
    logsumexp,
    mean_cross_entropy,
    neg_log,
    neg_log_grad,
    one_hot,
    smooth_labels,
    softmax,
    squared_residual,
    squared_residual_grad,
    ssr,
    total_cross_entropy,
)

pytestmark = pytest.mark.filterwarnings("error")

EPS = np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny  # smallest normal float; below it a result keeps fewer than 53 bits
INF = math.inf
MP_DPS = 50

# --------------------------------------------------------------------------------------------------
# The oracle: -log softmax(z)[k] in 50-digit arithmetic.
#
# By definition -log(e^{z_k} / sum_j e^{z_j}) = log(sum_j e^{z_j - z_k}) = log1p(sum_{j != k} e^{z_j - z_k}).
# The last form has no cancellation, so 50 digits give the loss to full relative accuracy even when it
# is 1e-300 (where log of a 50-digit sum would round to 0). mpmath has no exponent range to overflow.
# --------------------------------------------------------------------------------------------------


def mp_nll(row, k: int) -> mpmath.mpf:
    """Exact (to ~50 digits) -log softmax(row)[k]; +inf when row[k] is -inf."""
    with mpmath.workdps(MP_DPS):
        zk = mpmath.mpf(float(row[k]))
        if mpmath.isinf(zk):
            return mpmath.inf
        others = mpmath.fsum(mpmath.exp(mpmath.mpf(float(zj)) - zk) for j, zj in enumerate(row) if j != k)
        return mpmath.log1p(others)


def mp_logsumexp(row) -> mpmath.mpf:
    """Exact log(sum exp(row)), anchored at the largest logit: max + (-log softmax(row)[argmax])."""
    k = int(np.argmax(row))
    with mpmath.workdps(MP_DPS):
        return mpmath.mpf(float(row[k])) + mp_nll(row, k)


def abs_bound(row) -> float:
    finite = np.abs(np.asarray(row, dtype=float)[np.isfinite(row)])
    return 4 * EPS * max(1.0, float(finite.max()) if finite.size else 1.0)


def errors(got: float, exact: mpmath.mpf) -> tuple[float, float]:
    """(absolute, relative) error of ``got``; both 0 when both are the same infinity or both 0."""
    if mpmath.isinf(exact) or math.isinf(got):
        same = math.isinf(got) and mpmath.isinf(exact) and (got > 0) == (exact > 0)
        return (0.0, 0.0) if same else (INF, INF)
    with mpmath.workdps(MP_DPS):
        diff = abs(mpmath.mpf(got) - exact)
        rel = diff / abs(exact) if exact != 0 else (mpmath.mpf(0) if got == 0 else mpmath.inf)
    return float(diff), float(rel)


# --------------------------------------------------------------------------------------------------
# 2. Stability: huge, tiny and infinite logits; no warnings escape (pytestmark above).
# --------------------------------------------------------------------------------------------------


def test_huge_logit_gap_gives_the_exact_loss():
    assert cross_entropy_from_logits([1000.0, 0.0, -1000.0], 2) == 2000.0
    assert cross_entropy_from_logits([1000.0, 0.0, -1000.0], 1) == 1000.0
    assert cross_entropy_from_logits([1000.0, 0.0, -1000.0], 0) == 0.0


def test_log_softmax_of_huge_logits_is_exact():
    out = log_softmax([1000.0, 0.0, -1000.0])
    np.testing.assert_array_equal(out, [0.0, -1000.0, -2000.0])


def test_softmax_and_logsumexp_of_huge_logits():
    np.testing.assert_array_equal(softmax([1000.0, 0.0, -1000.0]), [1.0, 0.0, 0.0])
    assert logsumexp([1000.0, 0.0, -1000.0]) == 1000.0
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2), rel=EPS)
    np.testing.assert_allclose(softmax([1000.0, 1000.0]), [0.5, 0.5], rtol=0, atol=0)


def test_logits_beyond_the_float_range_apart():
    # 1e308 - (-1e308) overflows; the exact answers are p = (1, 0) and a loss of 2e308, i.e. +inf.
    z = [1e308, -1e308]
    np.testing.assert_array_equal(softmax(z), [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax(z), [0.0, -INF])
    assert cross_entropy_from_logits(z, 0) == 0.0
    assert cross_entropy_from_logits(z, 1) == INF
    assert logsumexp(z) == 1e308
    assert logsumexp([1.7e308, 1.7e308]) == 1.7e308  # + log 2 is below half an ulp
    np.testing.assert_array_equal(cross_entropy_grad_logits(z, 0), [0.0, 0.0])
    # torch's smoothing: (1 - e)(0) + (e / 2)(0 + 2e308) = 5e307 for e = 0.5; finite despite the gap
    assert cross_entropy_from_logits(z, 0, label_smoothing=0.5) == pytest.approx(5e307, rel=1e-15)
    assert cross_entropy_from_logits([1.7e308, -1.7e308], 0, label_smoothing=1.0) == pytest.approx(1.7e308, rel=1e-15)


def test_tiny_logits_keep_full_accuracy():
    for row in ([1e-300, 0.0, -1e-300], [5e-324, 0.0], [1e-17, 2e-17, 0.0]):
        for k in range(len(row)):
            got = cross_entropy_from_logits(row, k)
            _, rel = errors(got, mp_nll(row, k))
            assert rel <= 1e-15, (row, k, got)


def test_minus_inf_logit_means_probability_zero():
    z = [0.0, -INF, 0.0]
    np.testing.assert_array_equal(softmax(z), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(log_softmax(z), [-math.log(2), -INF, -math.log(2)])
    assert logsumexp(z) == pytest.approx(math.log(2), rel=EPS)
    assert cross_entropy_from_logits(z, 1) == INF
    assert cross_entropy_from_logits(z, 0) == pytest.approx(math.log(2), rel=EPS)
    np.testing.assert_array_equal(cross_entropy_grad_logits(z, 0), [-0.5, 0.0, 0.5])
    assert cross_entropy_from_logits([3.0, -INF], 0) == 0.0  # the only possible class


def test_minus_inf_logit_with_label_smoothing_is_infinite_not_nan():
    # smoothing puts weight e / C on every class, so a class with probability 0 makes the loss +inf;
    # at e = 1 the observed class's weight is 0, and 0 * inf must not turn into NaN.
    for eps in (0.1, 0.5, 1.0):
        assert cross_entropy_from_logits([0.0, -INF], 0, label_smoothing=eps) == INF
        assert cross_entropy_from_logits([0.0, -INF], 1, label_smoothing=eps) == INF
    batch = cross_entropy_from_logits([[0.0, -INF], [0.0, 0.0]], [1, 1], label_smoothing=1.0)
    assert batch[0] == INF and batch[1] == pytest.approx(math.log(2), rel=EPS)


def test_observed_probability_zero_gives_infinite_loss():
    assert cross_entropy([1.0, 0.0, 0.0], 1) == INF
    np.testing.assert_array_equal(cross_entropy([[1.0, 0.0], [0.5, 0.5]], [1, 0]), [INF, math.log(2)])
    assert total_cross_entropy([[1.0, 0.0], [0.5, 0.5]], [1, 0]) == INF
    assert neg_log(0.0) == INF
    assert neg_log_grad(0.0) == -INF


def test_tiny_losses_keep_relative_accuracy():
    # z = [40, 0, 0], y = 0: the loss is log1p(2 e^-40) ~ 8.5e-18, far below eps; 1 - p would give 0.
    got = cross_entropy_from_logits([40.0, 0.0, 0.0], 0)
    exact = mp_nll([40.0, 0.0, 0.0], 0)
    assert got > 0
    assert errors(got, exact)[1] <= 1e-15
    # e^-700 ~ 9.9e-305 is still a normal float
    got = cross_entropy_from_logits([700.0, 0.0], 0)
    assert errors(got, mp_nll([700.0, 0.0], 0))[1] <= 1e-14
    # e^-800 is below the smallest subnormal: the correctly rounded loss is 0
    assert cross_entropy_from_logits([800.0, 0.0], 0) == 0.0
    # log_softmax and logsumexp see the same tiny term
    assert errors(float(log_softmax([40.0, 0.0, 0.0])[0]), -exact)[1] <= 1e-15
    assert errors(logsumexp([0.0, -40.0, -40.0]), mp_logsumexp([0.0, -40.0, -40.0]))[1] <= 1e-15


def test_batches_and_single_rows_agree():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0], [0.0, -INF, 5.0]])
    y = np.array([0, 2, 1])
    batch = cross_entropy_from_logits(z, y)
    assert isinstance(batch, np.ndarray) and batch.shape == (3,)
    singles = [cross_entropy_from_logits(row, int(k)) for row, k in zip(z, y)]
    assert all(isinstance(s, float) for s in singles)
    np.testing.assert_array_equal(batch, singles)


def test_result_does_not_depend_on_memory_layout():
    rng = np.random.default_rng(7)
    z = rng.normal(scale=5.0, size=(300, 7))
    y = rng.integers(0, 7, size=300)
    c_order = cross_entropy_from_logits(z, y)
    np.testing.assert_array_equal(cross_entropy_from_logits(np.asfortranarray(z), y), c_order)
    wide = np.zeros((300, 14))
    wide[:, ::2] = z
    np.testing.assert_array_equal(cross_entropy_from_logits(wide[:, ::2], y), c_order)
    np.testing.assert_array_equal(cross_entropy_from_logits(z.astype(np.float32), y),
                                  cross_entropy_from_logits(z.astype(np.float32).astype(np.float64), y))


def test_large_batch_spanning_several_blocks_matches_the_oracle():
    # more rows than fit in one internal block, with ties, -inf entries and tiny losses mixed in
    rng = np.random.default_rng(11)
    z = rng.normal(scale=20.0, size=(5000, 9))
    z[::7, 3] = -INF
    z[::11, :2] = 5.0  # ties for the maximum in some rows
    z[::13, 0] = 200.0  # near-certain rows with a tiny loss for class 0
    y = rng.integers(0, 9, size=5000)
    y[::13] = 0
    got = cross_entropy_from_logits(z, y)
    for i in range(0, 5000, 37):
        _, rel = errors(float(got[i]), mp_nll(z[i], int(y[i])))
        assert rel <= 1e-13, (i, z[i], y[i])


# --------------------------------------------------------------------------------------------------
# 3. Accuracy against mpmath on random logits (hypothesis).
# --------------------------------------------------------------------------------------------------

WIDE = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
NARROW = st.floats(min_value=-30.0, max_value=30.0, allow_nan=False, allow_infinity=False)


@st.composite
def logit_batches(draw) -> np.ndarray:
    """(N, C) float64 logits: C in 1..12, wide or narrow values, optionally some -inf entries."""
    n_classes = draw(st.integers(1, 12))
    n_rows = draw(st.integers(1, 3))
    elements = draw(st.sampled_from([WIDE, NARROW]))
    z = draw(arrays(np.float64, (n_rows, n_classes), elements=elements))
    if n_classes > 1 and draw(st.booleans()):
        mask = draw(arrays(np.bool_, (n_rows, n_classes)))
        mask[:, draw(st.integers(0, n_classes - 1))] = False  # every row keeps a finite logit
        z[mask] = -INF
    return z


ACCURACY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@ACCURACY
@given(logit_batches())
def test_cross_entropy_from_logits_matches_mpmath(z):
    n_rows, n_classes = z.shape
    for k in range(n_classes):
        got = cross_entropy_from_logits(z, np.full(n_rows, k))
        for i in range(n_rows):
            exact = mp_nll(z[i], k)
            abs_err, rel_err = errors(float(got[i]), exact)
            assert abs_err <= abs_bound(z[i]), (z[i], k, got[i])
            if exact == 0 or abs(exact) >= TINY:  # a subnormal result cannot hold 13 digits
                assert rel_err <= 1e-13, (z[i], k, got[i])


@ACCURACY
@given(logit_batches())
def test_log_softmax_matches_mpmath(z):
    got = log_softmax(z)
    assert got.shape == z.shape
    for i, row in enumerate(z):
        for k in range(z.shape[1]):
            exact = -mp_nll(row, k)
            abs_err, rel_err = errors(float(got[i, k]), exact)
            assert abs_err <= abs_bound(row), (row, k, got[i, k])
            if exact == 0 or abs(exact) >= TINY:  # log-probs are sums of same-sign terms: no cancellation
                assert rel_err <= 1e-13, (row, k, got[i, k])


@ACCURACY
@given(logit_batches())
def test_softmax_matches_mpmath(z):
    got = softmax(z)
    assert got.shape == z.shape
    for i, row in enumerate(z):
        for k in range(z.shape[1]):
            with mpmath.workdps(MP_DPS):
                exact = mpmath.exp(-mp_nll(row, k))
            abs_err, rel_err = errors(float(got[i, k]), exact)
            assert abs_err <= abs_bound(row), (row, k, got[i, k])
            if exact >= TINY:  # not tiny: exp stays a normal float, so relative accuracy holds
                assert rel_err <= 1e-13, (row, k, got[i, k], exact)


@ACCURACY
@given(logit_batches())
def test_logsumexp_matches_mpmath(z):
    got = logsumexp(z)
    assert got.shape == (z.shape[0],)
    for i, row in enumerate(z):
        exact = mp_logsumexp(row)
        abs_err, rel_err = errors(float(got[i]), exact)
        assert abs_err <= abs_bound(row), (row, got[i])
        # max + a non-negative term: no cancellation, so relative accuracy too (unless subnormal)
        if np.max(row) >= 0 and (exact == 0 or exact >= TINY):
            assert rel_err <= 1e-13, (row, got[i])


def test_logsumexp_along_another_axis():
    z = np.array([[0.0, 1000.0], [-INF, 1000.0], [2.0, 0.0]])
    np.testing.assert_allclose(logsumexp(z, axis=0), [float(mp_logsumexp(z[:, 0])), float(mp_logsumexp(z[:, 1]))],
                               rtol=1e-15)
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), [1.0, 1.0], rtol=0, atol=4 * EPS)
    np.testing.assert_array_equal(log_softmax(z, axis=0), log_softmax(z.T).T)


# --------------------------------------------------------------------------------------------------
# 4. Bad input raises ValueError naming the problem.
# --------------------------------------------------------------------------------------------------

def zero_labels(z):
    """Label 0 for every row of ``z`` (one label for a single row), without validating ``z`` itself."""
    shape = np.shape(np.asarray(z, dtype=object)) if not isinstance(z, np.ndarray) else z.shape
    return np.zeros(shape[0], dtype=int) if len(shape) == 2 else 0


LOGIT_FUNCTIONS = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    "cross_entropy_from_logits": lambda z: cross_entropy_from_logits(z, zero_labels(z)),
    "cross_entropy_from_logits_smoothed": lambda z: cross_entropy_from_logits(z, zero_labels(z), 0.1),
    "cross_entropy_grad_logits": lambda z: cross_entropy_grad_logits(z, zero_labels(z)),
}


@pytest.mark.parametrize("func", LOGIT_FUNCTIONS.values(), ids=LOGIT_FUNCTIONS.keys())
@pytest.mark.parametrize(
    ("logits", "pattern"),
    [
        ([1.0, math.nan, 0.0], "NaN"),
        ([[1.0, 2.0], [0.0, math.nan]], "NaN"),
        ([1.0, INF, 0.0], r"\+inf"),
        ([[1.0, 2.0], [INF, 0.0]], r"\+inf"),
        ([-INF, -INF], "all -inf"),
        ([[0.0, 1.0], [-INF, -INF]], "all -inf"),
        (3.0, "scalar"),
        (np.float64(3.0), "scalar"),
        ([], "at least one class"),
        (np.zeros((2, 0)), "at least one class"),
        (["a", "b"], "real numbers"),
        ([True, False], "real numbers"),
        ([[1.0, 2.0], [3.0]], "must be numbers"),
    ],
)
def test_bad_logits_are_refused(func, logits, pattern):
    with pytest.raises(ValueError, match=pattern):
        func(logits)


def test_nan_and_inf_anywhere_in_a_large_batch_are_found():
    rng = np.random.default_rng(3)
    for value, pattern in ((math.nan, "NaN"), (INF, r"\+inf")):
        z = rng.normal(size=(20_000, 10))
        z[12_345, 6] = value
        with pytest.raises(ValueError, match=pattern):
            cross_entropy_from_logits(z, np.zeros(20_000, int))
    z = rng.normal(size=(20_000, 10))
    z[19_999] = -INF
    with pytest.raises(ValueError, match="all -inf"):
        cross_entropy_from_logits(z, np.zeros(20_000, int))


@pytest.mark.parametrize("func", [cross_entropy_from_logits, cross_entropy_grad_logits])
def test_logits_of_rank_three_are_refused(func):
    with pytest.raises(ValueError, match=r"shape \(C,\) or \(N, C\)"):
        func(np.zeros((2, 2, 3)), [0, 0])


Z_BATCH = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
P_BATCH = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
LABEL_FUNCTIONS = {
    "cross_entropy_from_logits": lambda y: cross_entropy_from_logits(Z_BATCH, y),
    "cross_entropy_grad_logits": lambda y: cross_entropy_grad_logits(Z_BATCH, y),
    "cross_entropy": lambda y: cross_entropy(P_BATCH, y),
    "total_cross_entropy": lambda y: total_cross_entropy(P_BATCH, y),
    "mean_cross_entropy": lambda y: mean_cross_entropy(P_BATCH, y),
    "ssr": lambda y: ssr(P_BATCH, y),
}


@pytest.mark.parametrize("func", LABEL_FUNCTIONS.values(), ids=LABEL_FUNCTIONS.keys())
@pytest.mark.parametrize(
    ("labels", "pattern"),
    [
        ([0, -1], "must not be negative, found -1"),
        (np.array([-3, 0]), "must not be negative, found -3"),
        ([0, 3], r"label 3 is out of range for 3 classes \(0\.\.2\)"),
        ([0.0, 1.5], "whole numbers"),
        ([0.0, math.nan], "whole numbers"),
        ([0.0, 1e30], "out of range"),
        ([0.0, -1e30], "must not be negative"),
        (np.array([0, 2**64 - 1], dtype=np.uint64), "out of range"),
        ([True, False], "not bools"),
        (["0", "1"], "integer class indices"),
        ([0, 1, 2], "got 3 labels for 2 rows"),
        ([0], "got 1 labels for 2 rows"),
        ([[0], [1]], "1-D array with one label per row"),
        (0, "1-D array with one label per row"),
    ],
)
def test_bad_labels_are_refused(func, labels, pattern):
    with pytest.raises(ValueError, match=pattern):
        func(labels)


SINGLE_LABEL_FUNCTIONS = {
    "cross_entropy_from_logits": lambda y: cross_entropy_from_logits([1.0, 2.0, 3.0], y),
    "cross_entropy": lambda y: cross_entropy([0.2, 0.3, 0.5], y),
    "cross_entropy_grad_logits": lambda y: cross_entropy_grad_logits([1.0, 2.0, 3.0], y),
    "ssr": lambda y: ssr([0.2, 0.3, 0.5], y),
}


@pytest.mark.parametrize(
    ("label", "pattern"),
    [
        (-1, "must not be negative, found -1"),
        (np.int8(-1), "must not be negative"),
        (3, "out of range"),
        (2**70, "out of range"),
        (-(2**70), "must not be negative"),
        (1.5, "whole numbers"),
        (True, "not a bool"),
        (np.True_, "not a bool"),
        ("1", "integer class indices"),
        ([1], "single prediction takes one integer label"),
        (None, "integer class indices"),
    ],
)
@pytest.mark.parametrize("func", SINGLE_LABEL_FUNCTIONS.values(), ids=SINGLE_LABEL_FUNCTIONS.keys())
def test_bad_single_labels_are_refused(func, label, pattern):
    with pytest.raises(ValueError, match=pattern):
        func(label)


@pytest.mark.parametrize(
    ("labels", "pattern"),
    [(-1, "negative"), ([0, -1], "negative"), ([3], "out of range"), ([0.5], "whole numbers"),
     (True, "bool"), ([True], "bools"), ([[0, 1]], "one integer or a 1-D array")],
)
def test_one_hot_refuses_bad_labels(labels, pattern):
    with pytest.raises(ValueError, match=pattern):
        one_hot(labels, 3)


@pytest.mark.parametrize("num_classes", [2.0, True, "3", None])
def test_one_hot_wants_a_whole_number_of_classes(num_classes):
    with pytest.raises(TypeError, match="num_classes must be an integer"):
        one_hot([0, 1], num_classes)


@pytest.mark.parametrize("epsilon", [True, False, -0.1, 1.5, "0.1"])
def test_label_smoothing_wants_a_number_in_0_1(epsilon):
    with pytest.raises(ValueError, match=r"label smoothing must be a number in \[0, 1\]"):
        smooth_labels([0, 1], 2, epsilon)


def test_label_minus_one_never_wraps_to_the_last_class():
    z = [0.1, 0.2, 3.0]
    last = cross_entropy_from_logits(z, 2)
    with pytest.raises(ValueError, match="negative"):
        cross_entropy_from_logits(z, -1)
    with pytest.raises(ValueError, match="negative"):
        cross_entropy([0.2, 0.3, 0.5], -1)
    with pytest.raises(ValueError, match="negative"):
        one_hot([0, -1], 3)
    with pytest.raises(ValueError, match="negative"):
        smooth_labels([-1], 3, 0.1)
    assert last == pytest.approx(float(mp_nll(z, 2)), rel=1e-15)


def test_whole_float_and_numpy_integer_labels_are_accepted():
    expected = cross_entropy_from_logits(Z_BATCH, [2, 0])
    np.testing.assert_array_equal(cross_entropy_from_logits(Z_BATCH, [2.0, 0.0]), expected)
    np.testing.assert_array_equal(cross_entropy_from_logits(Z_BATCH, np.array([2, 0], dtype=np.uint8)), expected)
    assert cross_entropy_from_logits(Z_BATCH[0], np.int64(2)) == expected[0]


@pytest.mark.parametrize(
    "func",
    [lambda p: cross_entropy(p, 0), lambda p: total_cross_entropy(p, 0),
     lambda p: ssr(p, 0), entropy, lambda p: kl_divergence(p, p)],
    ids=["cross_entropy", "total_cross_entropy", "ssr", "entropy", "kl_divergence"],
)
@pytest.mark.parametrize(
    ("probs", "pattern"),
    [
        ([1.2, -0.2], r"must lie in \[0, 1\], found 1\.2"),
        ([0.5, 0.6, -0.1], r"must lie in \[0, 1\], found -0\.1"),
        ([0.5, math.nan], "finite numbers between 0 and 1"),
        ([0.5, INF], "finite numbers between 0 and 1"),
        ([0.5, 0.4], r"must sum to 1 \(within 1e-06\), found a row summing to 0\.9"),
        ([[0.5, 0.5], [0.3, 0.3]], "must sum to 1"),
        ([0.5, 0.5 + 1e-5], "must sum to 1"),
        (0.5, "scalar"),
        ([], "at least one class"),
        (["a"], "real numbers"),
    ],
)
def test_bad_probabilities_are_refused(func, probs, pattern):
    with pytest.raises(ValueError, match=pattern):
        func(probs)


def test_sum_tolerance_is_one_in_a_million():
    assert SUM_TOLERANCE == 1e-6
    # off by 1e-7: accepted, and the loss is simply -log p[y]
    assert cross_entropy([0.5, 0.5 + 1e-7], 0) == pytest.approx(math.log(2), rel=EPS)
    assert cross_entropy([0.5, 0.5 - 1e-7], 1) == pytest.approx(-math.log(0.5 - 1e-7), rel=EPS)
    assert entropy([0.5, 0.5 + 1e-7]) == pytest.approx(math.log(2), rel=1e-6)
    # off by 1e-5: refused, naming the sum that was found
    with pytest.raises(ValueError, match=r"summing to 1\.00001"):
        cross_entropy([0.5, 0.5 + 1e-5], 0)
    with pytest.raises(ValueError, match=r"summing to 0\.99999"):
        cross_entropy([[0.5, 0.5], [0.5, 0.5 - 1e-5]], [0, 1])


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: neg_log(1.5), r"\[0, 1\], found 1\.5"),
        (lambda: neg_log(-0.1), r"\[0, 1\]"),
        (lambda: neg_log(math.nan), "finite number"),
        (lambda: squared_residual(2.0), r"\[0, 1\]"),
        (lambda: neg_log_grad(-1.0), r"\[0, 1\]"),
        (lambda: squared_residual_grad(math.inf), "finite number"),
        (lambda: binary_cross_entropy(1.1, 1.0), r"p must lie in \[0, 1\]"),
        (lambda: binary_cross_entropy(0.5, 2.0), r"target must lie in \[0, 1\]"),
        (lambda: binary_cross_entropy_with_logits(math.inf, 1.0), "finite"),
        (lambda: binary_cross_entropy_with_logits(math.nan, 1.0), "finite"),
        (lambda: binary_cross_entropy_with_logits(0.0, -0.5), r"target must lie in \[0, 1\]"),
        (lambda: kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), "same shape"),
        (lambda: kl_divergence([0.5, 0.5], [0.5, 0.6]), "q must sum to 1|each row of q"),
        (lambda: one_hot([0, 1], 0), "num_classes must be at least 1"),
        (lambda: one_hot([[0, 1]], 3), "one integer or a 1-D array"),
        (lambda: smooth_labels([0, 1], 3, 1.5), r"label smoothing must be a number in \[0, 1\]"),
        (lambda: smooth_labels([0, 1], 3, -0.1), "label smoothing"),
        (lambda: cross_entropy_from_logits([1.0, 2.0], 0, label_smoothing=math.nan), "label smoothing"),
        (lambda: cross_entropy_from_logits([1.0, 2.0], 0, label_smoothing="0.1"), "label smoothing"),
        (lambda: cross_entropy([[[0.5, 0.5]]], [0]), r"shape \(C,\) or \(N, C\)"),
    ],
)
def test_other_bad_input_is_refused(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# --------------------------------------------------------------------------------------------------
# 5. Empty batches.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [[], np.empty(0, dtype=np.int64)])
def test_empty_batch_total_is_zero_and_mean_is_refused(labels):
    empty = np.empty((0, 3))
    assert total_cross_entropy(empty, labels) == 0.0
    assert isinstance(total_cross_entropy(empty, labels), float)
    with pytest.raises(ValueError, match="empty batch"):
        mean_cross_entropy(empty, labels)
    assert cross_entropy(empty, labels).shape == (0,)
    assert cross_entropy_from_logits(empty, labels).shape == (0,)
    assert cross_entropy_from_logits(empty, labels, label_smoothing=0.1).shape == (0,)
    assert cross_entropy_grad_logits(empty, labels).shape == (0, 3)
    assert softmax(empty).shape == (0, 3)
    assert logsumexp(empty).shape == (0,)
    assert ssr(empty, labels).shape == (0,)


def test_empty_batch_still_checks_label_count():
    with pytest.raises(ValueError, match="got 1 labels for 0 rows"):
        total_cross_entropy(np.empty((0, 3)), [0])


def test_total_and_mean_of_a_batch():
    p = [[0.5, 0.5], [0.25, 0.75], [0.1, 0.9]]
    y = [0, 1, 0]
    total = math.log(2) + math.log(4 / 3) + math.log(10)
    assert total_cross_entropy(p, y) == pytest.approx(total, rel=4 * EPS)
    assert mean_cross_entropy(p, y) == pytest.approx(total / 3, rel=4 * EPS)
    assert mean_cross_entropy([0.25, 0.75], 1) == pytest.approx(math.log(4 / 3), rel=EPS)


# --------------------------------------------------------------------------------------------------
# 6. Closed forms.
# --------------------------------------------------------------------------------------------------


def mp_softplus(x: float) -> mpmath.mpf:
    """log(1 + e^x), exactly."""
    with mpmath.workdps(MP_DPS):
        return mpmath.log1p(mpmath.exp(mpmath.mpf(x)))


@pytest.mark.parametrize("x", [-1000.0, -745.0, -40.0, -5.0, -0.5, 0.0, 1e-20, 0.5, 5.0, 40.0, 745.0, 1000.0])
@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_binary_cross_entropy_with_logits_matches_softplus(x, t):
    # -(t log s(x) + (1 - t) log(1 - s(x))) = t softplus(-x) + (1 - t) softplus(x)
    with mpmath.workdps(MP_DPS):
        exact = t * mp_softplus(-x) + (1 - mpmath.mpf(t)) * mp_softplus(x)
    got = binary_cross_entropy_with_logits(x, t)
    assert isinstance(got, float)
    abs_err, rel_err = errors(got, exact)
    assert abs_err <= 4 * EPS * max(1.0, abs(x))
    if t in (0.0, 1.0) and exact >= TINY:  # one softplus, no cancellation; subnormals lose digits
        assert rel_err <= 1e-14


def test_binary_cross_entropy_with_logits_at_plus_minus_1000():
    assert binary_cross_entropy_with_logits(1000.0, 1.0) == 0.0
    assert binary_cross_entropy_with_logits(-1000.0, 0.0) == 0.0
    assert binary_cross_entropy_with_logits(1000.0, 0.0) == 1000.0
    assert binary_cross_entropy_with_logits(-1000.0, 1.0) == 1000.0
    np.testing.assert_array_equal(binary_cross_entropy_with_logits([1000.0, -1000.0], [1.0, 1.0]), [0.0, 1000.0])


@pytest.mark.parametrize("x", [-8.0, -3.0, -0.7, 0.0, 0.2, 1.0, 4.0, 8.0])
@pytest.mark.parametrize("t", [0.0, 0.25, 1.0])
def test_binary_cross_entropy_from_probability_agrees_with_logits(x, t):
    with mpmath.workdps(MP_DPS):
        p = float(1 / (1 + mpmath.exp(-x)))  # sigmoid, correctly rounded
    # p carries a rounding error of up to eps/2; through log(1 - p) that is eps/(2(1 - p)) at most
    tol = 4 * EPS / min(p, 1 - p)
    assert binary_cross_entropy(p, t) == pytest.approx(binary_cross_entropy_with_logits(x, t), rel=tol, abs=tol)


def test_binary_cross_entropy_edges_and_two_class_cross_entropy():
    assert binary_cross_entropy(0.0, 0.0) == 0.0  # 0 log 0 = 0
    assert binary_cross_entropy(1.0, 1.0) == 0.0
    assert binary_cross_entropy(0.0, 1.0) == INF
    assert binary_cross_entropy(1.0, 0.0) == INF
    assert binary_cross_entropy(0.5, 0.5) == pytest.approx(math.log(2), rel=EPS)
    for p in (0.01, 0.3, 0.5, 0.99):
        assert binary_cross_entropy(p, 1.0) == pytest.approx(cross_entropy([1 - p, p], 1), rel=4 * EPS)
        # 1 - p is rounded before cross_entropy takes its log: eps/2 absolute on a loss of 0.01 or more
        assert binary_cross_entropy(p, 0.0) == pytest.approx(cross_entropy([1 - p, p], 0), rel=1e-13)
    np.testing.assert_allclose(binary_cross_entropy([0.1, 0.9], [1.0, 1.0]), [math.log(10), -math.log(0.9)],
                               rtol=4 * EPS)


@pytest.mark.parametrize("n_classes", [1, 2, 3, 7, 10, 1000])
def test_entropy_of_uniform_is_log_c(n_classes):
    assert entropy(np.full(n_classes, 1.0 / n_classes)) == pytest.approx(math.log(n_classes), rel=1e-14, abs=EPS)


def test_entropy_closed_forms():
    assert entropy([1.0, 0.0, 0.0]) == 0.0  # a certain outcome carries no surprise; 0 log 0 = 0
    assert entropy([0.5, 0.25, 0.25]) == pytest.approx(1.5 * math.log(2), rel=4 * EPS)
    np.testing.assert_allclose(entropy([[0.5, 0.5], [1.0, 0.0]]), [math.log(2), 0.0], rtol=EPS)
    # the class axis may be another axis
    np.testing.assert_allclose(entropy(np.array([[0.5, 1.0], [0.5, 0.0]]), axis=0), [math.log(2), 0.0], rtol=EPS)


def test_kl_divergence_closed_forms():
    p = [0.2, 0.3, 0.5]
    assert kl_divergence(p, p) == 0.0
    # Bernoulli: KL = a log(a/b) + (1 - a) log((1 - a)/(1 - b)), for the floats actually passed
    p2, q2 = [0.3, 1 - 0.3], [0.6, 1 - 0.6]
    with mpmath.workdps(MP_DPS):
        exact = mpmath.fsum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b)) for a, b in zip(p2, q2))
    assert kl_divergence(p2, q2) == pytest.approx(float(exact), rel=1e-14)
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == INF  # q = 0 where p > 0
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=EPS)  # p = 0 terms vanish
    np.testing.assert_array_equal(kl_divergence([[0.5, 0.5], [0.1, 0.9]], [[0.5, 0.5], [0.1, 0.9]]), [0.0, 0.0])


def soft_cross_entropy(p, q) -> float:
    """CE(p, q) = sum_k p_k (-log q_k): the expected hard-label cross-entropy of q under p."""
    return sum(p_k * cross_entropy(q, k) for k, p_k in enumerate(p) if p_k > 0)


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(1, 8).flatmap(lambda c: st.tuples(arrays(np.float64, c, elements=NARROW),
                                                       arrays(np.float64, c, elements=NARROW))))
def test_kl_is_cross_entropy_minus_entropy_and_non_negative(pair):
    p, q = softmax(pair[0]), softmax(pair[1])
    kl = kl_divergence(p, q)
    ce, h = soft_cross_entropy(p, q), entropy(p)
    scale = max(1.0, ce)
    assert kl == pytest.approx(ce - h, abs=64 * EPS * scale)
    assert kl >= -16 * EPS * scale  # Gibbs: KL >= 0, up to rounding in the sums
    assert kl_divergence(p, p) == 0.0


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.37, 1.0])
@pytest.mark.parametrize(("z", "y"), [([1.0, 2.0, 3.0], 0), ([1.0, 2.0, 3.0], 2), ([50.0, -3.0, 0.0, 4.0], 1),
                                      ([0.0], 0)])
def test_label_smoothing_has_torchs_meaning(z, y, eps):
    # torch: loss = (1 - e)(-log p_y) + (e / C) sum_k (-log p_k)
    n_classes = len(z)
    with mpmath.workdps(MP_DPS):
        exact = (1 - mpmath.mpf(eps)) * mp_nll(z, y) + mpmath.mpf(eps) / n_classes * mpmath.fsum(
            mp_nll(z, k) for k in range(n_classes))
    got = cross_entropy_from_logits(z, y, label_smoothing=eps)
    assert errors(got, exact)[1] <= 1e-14
    # the same loss as the smoothed target distribution against -log softmax
    target = smooth_labels(y, n_classes, eps)
    assert got == pytest.approx(float(np.dot(target, -log_softmax(z))), rel=1e-14, abs=EPS)


def test_label_smoothing_in_a_batch():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 10.0]])
    y = np.array([1, 2])
    got = cross_entropy_from_logits(z, y, label_smoothing=0.2)
    expected = [cross_entropy_from_logits(row, int(k), label_smoothing=0.2) for row, k in zip(z, y)]
    np.testing.assert_allclose(got, expected, rtol=EPS)
    np.testing.assert_array_equal(cross_entropy_from_logits(z, y, label_smoothing=0.0), cross_entropy_from_logits(z, y))


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_smooth_labels(eps):
    targets = smooth_labels([0, 2, 1], 3, eps)
    assert targets.shape == (3, 3)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=0, atol=2 * EPS)
    np.testing.assert_allclose(targets[0], [1 - eps + eps / 3, eps / 3, eps / 3], rtol=EPS)
    np.testing.assert_allclose(smooth_labels(2, 4, eps), [eps / 4, eps / 4, 1 - eps + eps / 4, eps / 4], rtol=EPS)
    # smoothed targets are distributions the core accepts
    assert entropy(targets).shape == (3,)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([0, 2], 3), [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(one_hot(1, 2), [0.0, 1.0])
    assert one_hot([], 4).shape == (0, 4)
    np.testing.assert_array_equal(smooth_labels([1, 0], 2, 0.0), one_hot([1, 0], 2))


def exact_ssr(p, y) -> Fraction:
    """Sum of squared residuals against the one-hot target, in exact rational arithmetic."""
    return sum((Fraction(int(k == y)) - Fraction(float(p_k))) ** 2 for k, p_k in enumerate(p))


@pytest.mark.parametrize(("p", "y"), [([0.7, 0.2, 0.1], 0), ([0.7, 0.2, 0.1], 2), ([1.0, 0.0], 0),
                                      ([0.0, 1.0], 0), ([0.25, 0.25, 0.25, 0.25], 3)])
def test_ssr_is_the_sum_of_squared_residuals_against_one_hot(p, y):
    assert ssr(p, y) == pytest.approx(float(exact_ssr(p, y)), rel=4 * EPS, abs=EPS)


def test_ssr_closed_forms_and_batches():
    assert ssr([0.7, 0.2, 0.1], 0) == pytest.approx(0.09 + 0.04 + 0.01, rel=4 * EPS)
    assert ssr([1.0, 0.0], 1) == 2.0  # maximally wrong
    assert ssr([1.0, 0.0], 0) == 0.0
    p = [[0.7, 0.2, 0.1], [0.2, 0.2, 0.6]]
    np.testing.assert_allclose(ssr(p, [0, 2]), [float(exact_ssr(p[0], 0)), float(exact_ssr(p[1], 2))], rtol=4 * EPS)


@pytest.mark.parametrize("p", [0.0, 1e-300, 0.01, 0.2, 0.5, 0.9, 1.0])
def test_neg_log_and_squared_residual_closed_forms(p):
    with mpmath.workdps(MP_DPS):
        exact_neg_log = INF if p == 0 else float(-mpmath.log(p))
    assert neg_log(p) == pytest.approx(exact_neg_log, rel=EPS, abs=0)
    assert squared_residual(p) == pytest.approx(float((1 - Fraction(p)) ** 2), rel=2 * EPS)
    assert squared_residual_grad(p) == pytest.approx(float(-2 * (1 - Fraction(p))), rel=EPS)
    assert neg_log_grad(p) == (-INF if p == 0 else pytest.approx(float(-1 / Fraction(p)), rel=EPS))


def test_gradients_at_one_percent():
    # the lesson's numbers: at p = 0.01 the SSR residual's slope is -1.98 and -log's is -100
    assert squared_residual_grad(0.01) == pytest.approx(-1.98, rel=EPS)
    assert neg_log_grad(0.01) == pytest.approx(-100.0, rel=EPS)
    np.testing.assert_allclose(neg_log_grad([0.5, 0.01]), [-2.0, -100.0], rtol=EPS)
    np.testing.assert_allclose(squared_residual_grad([0.5, 1.0]), [-1.0, 0.0], rtol=0, atol=0)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5, 0.9, 0.99])
def test_derivatives_match_finite_differences(p):
    h = 1e-6
    fd_log = (neg_log(p + h) - neg_log(p - h)) / (2 * h)
    fd_sq = (squared_residual(p + h) - squared_residual(p - h)) / (2 * h)
    assert neg_log_grad(p) == pytest.approx(fd_log, rel=1e-6)
    assert squared_residual_grad(p) == pytest.approx(fd_sq, rel=1e-6, abs=1e-9)


def test_elementwise_functions_keep_shape_and_return_floats_for_scalars():
    assert isinstance(neg_log(0.5), float) and isinstance(squared_residual(0.5), float)
    assert isinstance(neg_log_grad(0.5), float) and isinstance(squared_residual_grad(0.5), float)
    assert neg_log([[0.5, 1.0]]).shape == (1, 2)
    assert squared_residual_grad(np.array([0.1, 0.2, 0.3])).shape == (3,)


@pytest.mark.parametrize(("z", "y"), [([1.0, 2.0, 3.0], 0), ([1.0, 2.0, 3.0], 2), ([0.0, -INF, 1.0], 2),
                                      ([30.0, 0.0, -5.0, 2.0], 3), ([0.5], 0)])
def test_cross_entropy_grad_logits_is_softmax_minus_one_hot(z, y):
    grad = cross_entropy_grad_logits(z, y)
    with mpmath.workdps(MP_DPS):
        exact = [mpmath.exp(-mp_nll(z, k)) - (1 if k == y else 0) for k in range(len(z))]
    np.testing.assert_allclose(grad, [float(e) for e in exact], rtol=0, atol=4 * EPS)


def test_cross_entropy_grad_logits_matches_finite_differences():
    rng = np.random.default_rng(5)
    z = rng.normal(scale=2.0, size=(4, 5))
    y = np.array([0, 4, 2, 2])
    grad = cross_entropy_grad_logits(z, y)
    assert grad.shape == z.shape
    h = 1e-6
    for i in range(4):
        for k in range(5):
            up, down = z.copy(), z.copy()
            up[i, k] += h
            down[i, k] -= h
            fd = (cross_entropy_from_logits(up, y)[i] - cross_entropy_from_logits(down, y)[i]) / (2 * h)
            assert grad[i, k] == pytest.approx(fd, abs=1e-8), (i, k)
    # a batch gradient is the rows' gradients stacked
    np.testing.assert_array_equal(grad[1], cross_entropy_grad_logits(z[1], 4))


@pytest.mark.parametrize("n_classes", [1, 3, 10, 100, 5000])
def test_cross_entropy_from_logits_is_minus_log_softmax_at_the_label(n_classes):
    # the fast blocked loss and log_softmax share their arithmetic: they agree to the last bit
    rng = np.random.default_rng(n_classes)
    z = rng.normal(scale=8.0, size=(40, n_classes))
    if n_classes > 1:
        z[::5, 0] = -INF
    y = rng.integers(0, n_classes, size=40)
    expected = -np.take_along_axis(log_softmax(z), y[:, None], axis=-1)[:, 0]
    np.testing.assert_array_equal(cross_entropy_from_logits(z, y), expected)
