"""Properties of softmax and cross-entropy that hold for every input, checked with hypothesis.

Tolerances are stated in units of machine epsilon and scale with the size of the logits: adding a
constant ``c`` to a logit ``z`` rounds ``z + c`` by up to half an ulp, which moves a probability or a
loss by at most about ``eps * |z + c|``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ce_tutor.core import (
    cross_entropy,
    cross_entropy_from_logits,
    cross_entropy_grad_logits,
    entropy,
    kl_divergence,
    log_softmax,
    logsumexp,
    softmax,
)

pytestmark = pytest.mark.filterwarnings("error")

EPS = np.finfo(np.float64).eps
INF = np.inf
PROPERTIES = settings(max_examples=200, deadline=None, database=None)

WIDE = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
NARROW = st.floats(min_value=-30.0, max_value=30.0, allow_nan=False, allow_infinity=False)


@st.composite
def logits(draw, allow_minus_inf: bool = True) -> np.ndarray:
    """(N, C) float64 logits: C in 1..12, N in 1..4, wide or narrow values, optionally some -inf."""
    n_classes = draw(st.integers(1, 12))
    n_rows = draw(st.integers(1, 4))
    z = draw(arrays(np.float64, (n_rows, n_classes), elements=draw(st.sampled_from([WIDE, NARROW]))))
    if allow_minus_inf and n_classes > 1 and draw(st.booleans()):
        mask = draw(arrays(np.bool_, (n_rows, n_classes)))
        mask[:, draw(st.integers(0, n_classes - 1))] = False  # every row keeps a finite logit
        z[mask] = -INF
    return z


@st.composite
def logits_and_labels(draw, allow_minus_inf: bool = True) -> tuple[np.ndarray, np.ndarray]:
    z = draw(logits(allow_minus_inf))
    y = draw(arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    return z, y


def scale(*arrays_: np.ndarray) -> float:
    """max(1, largest finite |value|) over the given arrays: the size rounding errors scale with."""
    finite = [np.abs(a[np.isfinite(a)]).max() for a in arrays_ if np.isfinite(a).any()]
    return max([1.0, *map(float, finite)])


@PROPERTIES
@given(logits())
def test_softmax_rows_are_distributions(z):
    p = softmax(z)
    assert p.shape == z.shape
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=(z.shape[1] + 2) * EPS)
    assert np.all(p[np.isneginf(z)] == 0)  # -inf means probability 0
    assert p.dtype == np.float64


@PROPERTIES
@given(logits(), st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_softmax_is_shift_invariant(z, c):
    shifted = z + c
    tol = 4 * EPS * scale(z, shifted)
    np.testing.assert_allclose(softmax(shifted), softmax(z), rtol=0, atol=tol)
    np.testing.assert_allclose(log_softmax(shifted), log_softmax(z), rtol=0, atol=2 * tol)


@PROPERTIES
@given(logits_and_labels(), st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_cross_entropy_is_shift_invariant(zy, c):
    z, y = zy
    shifted = z + c
    tol = 8 * EPS * scale(z, shifted)
    before, after = cross_entropy_from_logits(z, y), cross_entropy_from_logits(shifted, y)
    np.testing.assert_array_equal(np.isinf(before), np.isinf(after))
    finite = np.isfinite(before)
    np.testing.assert_allclose(after[finite], before[finite], rtol=1e-13, atol=tol)


@PROPERTIES
@given(logits())
def test_softmax_preserves_order(z):
    p = softmax(z)
    for row, probs in zip(z, p):
        top = int(np.argmax(row))
        assert probs[top] == probs.max()  # the largest logit has the largest probability
        # a larger logit never gets a smaller probability (rounding may only make them equal)
        order = np.argsort(row, kind="stable")
        assert np.all(np.diff(probs[order]) >= 0)
        # when the top logit stands clear of the rest, it is the unique argmax of the softmax too
        ranked = np.sort(row)[::-1]
        if len(row) > 1 and ranked[0] - ranked[1] > 1e-9 * max(1.0, abs(ranked[0])):
            assert int(np.argmax(probs)) == top


@PROPERTIES
@given(logits_and_labels())
def test_gradient_rows_sum_to_zero(zy):
    z, y = zy
    grad = cross_entropy_grad_logits(z, y)
    assert grad.shape == z.shape
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, rtol=0, atol=(z.shape[1] + 2) * EPS)
    # the observed class is pulled up (negative slope), every other class pushed down
    rows = np.arange(len(y))
    assert np.all(grad[rows, y] <= 0)
    others = np.ones_like(grad, dtype=bool)
    others[rows, y] = False
    assert np.all(grad[others] >= 0)


@PROPERTIES
@given(logits_and_labels(), st.floats(min_value=0.0, max_value=1.0))
def test_cross_entropy_is_non_negative(zy, eps):
    z, y = zy
    assert np.all(cross_entropy_from_logits(z, y) >= 0)
    assert np.all(cross_entropy_from_logits(z, y, label_smoothing=eps) >= 0)
    p = softmax(z)
    assert np.all(cross_entropy(p, y) >= 0)
    assert np.all(logsumexp(z) >= z.max(axis=-1))  # log-sum-exp is at least the largest logit
    assert np.all(logsumexp(z) <= z.max(axis=-1) + np.log(z.shape[1]) * (1 + 4 * EPS) + 4 * EPS * scale(z))


@PROPERTIES
@given(logits_and_labels(allow_minus_inf=False))
def test_cross_entropy_of_softmax_matches_cross_entropy_from_logits(zy):
    z, y = zy
    p = softmax(z)
    picked = p[np.arange(len(y)), y]
    usable = picked > 1e-300  # below that softmax has rounded p[y] towards 0 and -log p loses digits
    via_probs = cross_entropy(p, y)
    from_logits = cross_entropy_from_logits(z, y)
    # p[y] carries a relative error of about eps * |z_y - max z|, and -log turns it into an absolute one
    tol = 8 * EPS * scale(z)
    np.testing.assert_allclose(via_probs[usable], from_logits[usable], rtol=1e-13, atol=tol)
    # where p[y] rounded to 0 the probability route gives +inf; the logit route stays finite
    assert np.all(np.isfinite(from_logits))


@PROPERTIES
@given(logits())
def test_log_softmax_is_log_of_softmax_where_not_tiny(z):
    p, logp = softmax(z), log_softmax(z)
    usable = p > 1e-300
    np.testing.assert_allclose(np.log(p[usable]), logp[usable], rtol=1e-13, atol=8 * EPS * scale(z))
    assert np.all(logp <= 0)


@PROPERTIES
@given(logits(), st.data())
def test_permuting_classes_permutes_softmax(z, data):
    perm = np.array(data.draw(st.permutations(range(z.shape[1]))))
    np.testing.assert_allclose(softmax(z[:, perm]), softmax(z)[:, perm], rtol=0, atol=(z.shape[1] + 2) * EPS)


@PROPERTIES
@given(st.integers(1, 10).flatmap(lambda c: st.tuples(arrays(np.float64, c, elements=NARROW),
                                                        arrays(np.float64, c, elements=NARROW))))
def test_kl_is_non_negative_and_entropy_is_bounded(pair):
    p, q = softmax(pair[0]), softmax(pair[1])
    n_classes = len(p)
    assert kl_divergence(p, q) >= -16 * EPS * scale(pair[0], pair[1])  # Gibbs' inequality, up to rounding
    assert kl_divergence(p, p) == 0.0
    h = entropy(p)
    assert -EPS <= h <= np.log(n_classes) * (1 + 8 * EPS) + EPS
