"""Softmax, cross-entropy and their relatives, in float64 and natural log (nats).

Conventions used throughout:

* the class axis is the last one; a single prediction has shape ``(C,)`` and a batch ``(N, C)``;
* a logit of ``-inf`` means probability 0, and an observed probability of 0 gives a loss of ``+inf``;
* NaN or ``+inf`` logits, all ``-inf`` rows, bad labels and probabilities that are not distributions
  raise ``ValueError`` naming the problem (see ``_validate``);
* no ``RuntimeWarning`` escapes: every ``log(0)`` that is part of the maths is computed under ``errstate``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ce_tutor.core._validate import (
    as_float_array,
    as_labels,
    as_logits,
    as_probs,
    as_unit_interval,
    batch_rows,
)


def _normaliser(z: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(shifted, log_norm, argmax)`` with ``log_softmax = shifted - log_norm``.

    ``shifted = z - max(z)`` so the largest term is ``exp(0) = 1``; the normaliser is then
    ``log1p(sum of the other terms)``, which keeps its relative accuracy when the other terms are tiny.
    """
    idx = np.argmax(z, axis=axis, keepdims=True)
    m = np.take_along_axis(z, idx, axis=axis)
    with np.errstate(over="ignore"):  # a gap beyond the float range (1e308 vs -1e308) is -inf: exp gives 0
        shifted = z - m
    e = np.exp(shifted)
    np.put_along_axis(e, idx, 0.0, axis=axis)
    log_norm = np.log1p(e.sum(axis=axis, keepdims=True))
    return shifted, log_norm, idx


def log_softmax(z: object, axis: int = -1) -> np.ndarray:
    """``log(softmax(z))`` computed stably by log-sum-exp; ``-inf`` logits give ``-inf``."""
    arr = _logits_along(z, axis)
    shifted, log_norm, _ = _normaliser(arr, axis)
    return shifted - log_norm


def softmax(z: object, axis: int = -1) -> np.ndarray:
    """Turn raw outputs into probabilities: ``exp(z) / sum(exp(z))`` along ``axis``, computed stably."""
    arr = _logits_along(z, axis)
    with np.errstate(over="ignore"):  # as in _normaliser: an overflowing gap means probability 0
        e = np.exp(arr - np.max(arr, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def logsumexp(z: object, axis: int = -1) -> np.ndarray | float:
    """``log(sum(exp(z)))`` along ``axis`` without overflow."""
    arr = _logits_along(z, axis)
    _, log_norm, idx = _normaliser(arr, axis)
    with np.errstate(over="ignore"):  # max near the float limit plus log(C) rounds to +inf
        out = np.squeeze(np.take_along_axis(arr, idx, axis=axis) + log_norm, axis=axis)
    return float(out) if out.ndim == 0 else out


def cross_entropy_from_logits(z: object, y: object, label_smoothing: float = 0.0) -> np.ndarray | float:
    """Cross-entropy ``-log softmax(z)[y]`` straight from logits, never through softmax then log.

    ``z`` of shape ``(C,)`` with an integer ``y`` gives a float; ``(N, C)`` with ``y`` of shape ``(N,)``
    gives an ``(N,)`` array. ``label_smoothing`` has torch's meaning: the target becomes
    ``(1 - e) * onehot + e / C``.

    The loss is ``log1p(sum of exp(z_k - max) over the non-maximal k) - (z_y - max)``, as in
    ``_normaliser``, but computed in blocks of rows that stay in cache, with one reused buffer. The
    logits are validated through their row maxima: ``argmax`` treats NaN as the largest value, so a row
    holding NaN or +inf, or made only of -inf, is exactly a row whose maximum is not finite.
    """
    arr = as_float_array(z, "logits")
    if arr.ndim == 0 or arr.shape[-1] == 0:
        as_logits(arr)  # raises the shape message
    idx = np.argmax(arr, axis=-1, keepdims=True)
    m = np.take_along_axis(arr, idx, axis=-1)
    if not np.isfinite(m).all():
        as_logits(arr)  # raises the message naming the NaN, +inf or all -inf row
        raise AssertionError("unreachable: a non-finite row maximum passed the logits check")
    rows = batch_rows(arr, "logits")
    n_classes = arr.shape[-1]
    labels = as_labels(y, rows, n_classes)
    _check_smoothing(label_smoothing)

    z2 = arr.reshape(-1, n_classes)
    n = z2.shape[0]
    m1, idx1, lab1 = m.reshape(n), idx.reshape(n), labels.reshape(n)
    with np.errstate(over="ignore"):  # |z_k - max| beyond the float range is -inf: exp gives 0, loss +inf
        picked = z2[np.arange(n), lab1] - m1  # z_y - max <= 0
        others = np.empty(n)  # sum of exp(z_k - max) over all k but the first maximum
        mean_shift = np.empty(n) if label_smoothing else None
        block = max(1, min(n, _BLOCK_ELEMENTS // n_classes))
        buf = np.empty((block, n_classes))
        block_rows = np.arange(block)
        for start in range(0, n, block):
            stop = min(start + block, n)
            b = buf[: stop - start]
            np.subtract(z2[start:stop], m1[start:stop, None], out=b)
            if mean_shift is not None:
                np.mean(b, axis=-1, out=mean_shift[start:stop])
            np.exp(b, out=b)
            b[block_rows[: stop - start], idx1[start:stop]] = 0.0
            np.sum(b, axis=-1, out=others[start:stop])
        log_norm = np.log1p(others)
        nll = log_norm - picked
        if mean_shift is not None:
            _mean_without_overflow(z2, m1, mean_shift)
            # mean over classes of -log p_k; -inf logits make this +inf, which is the maths
            smooth = label_smoothing * (log_norm - mean_shift)
            # at e = 1 the observed class has no weight: 0 * inf would be NaN, so leave it out
            nll = smooth if label_smoothing == 1 else (1.0 - label_smoothing) * nll + smooth
    return _scalar_or_array(nll, rows)


#: Elements per block in ``cross_entropy_from_logits``: 32768 float64 = 256 KiB, small enough for L2.
_BLOCK_ELEMENTS = 32_768


def _mean_without_overflow(z2: np.ndarray, m1: np.ndarray, mean_shift: np.ndarray) -> None:
    """Redo, as ``mean(z / C) - max``, the row means of ``z - max`` that overflowed to -inf.

    A row with a -inf logit has mean -inf for real; a row of finite logits spanning more than the float
    range (say 1e308 and -1e308) only overflowed on the way, in ``z - max`` or in the running sum.
    """
    redo = np.isneginf(mean_shift)
    if redo.any():
        redo[redo] = ~np.isneginf(z2[redo]).any(axis=-1)
        mean_shift[redo] = (z2[redo] / z2.shape[-1]).sum(axis=-1) - m1[redo]


def cross_entropy(p: object, y: object) -> np.ndarray | float:
    """Cross-entropy of predictions ``p`` (probabilities) for observed classes ``y``: ``-log p[y]``.

    ``p`` of shape ``(C,)`` with an integer ``y`` gives a float; ``(N, C)`` with ``y`` of shape ``(N,)``
    gives an ``(N,)`` array. ``p[y] == 0`` gives ``+inf``.
    """
    arr = as_probs(p)
    rows = batch_rows(arr, "probabilities")
    labels = as_labels(y, rows, arr.shape[-1])
    lab = labels[..., None] if rows is not None else labels.reshape(1)
    picked = np.take_along_axis(arr, lab, axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        loss = -np.log(picked)
    return _scalar_or_array(loss, rows)


def total_cross_entropy(p: object, y: object) -> float:
    """The sum of the per-sample cross-entropies (the lessons' "total"); an empty batch gives 0.0."""
    return float(np.sum(cross_entropy(p, y)))


def mean_cross_entropy(p: object, y: object) -> float:
    """The mean of the per-sample cross-entropies; an empty batch has no mean and raises ValueError."""
    losses = np.atleast_1d(cross_entropy(p, y))
    if losses.size == 0:
        raise ValueError("the mean cross-entropy of an empty batch is undefined (there are no samples)")
    return float(losses.mean())


def one_hot(y: object, num_classes: int) -> np.ndarray:
    """One-hot rows for labels ``y``: shape ``(C,)`` for one label, ``(N, C)`` for ``N`` labels."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"num_classes must be an integer, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    arr = np.asarray(y)
    rows = None if arr.ndim == 0 else (arr.shape[0] if arr.ndim == 1 else -1)
    if rows == -1:
        raise ValueError(f"labels must be one integer or a 1-D array, got shape {arr.shape}")
    labels = as_labels(y, rows, num_classes)
    return np.eye(num_classes)[labels]


def ssr(p: object, y: object) -> np.ndarray | float:
    """Sum of squared residuals per sample: ``sum_k (onehot_k - p_k)^2`` over all C outputs."""
    arr = as_probs(p)
    rows = batch_rows(arr, "probabilities")
    labels = as_labels(y, rows, arr.shape[-1])
    target = np.eye(arr.shape[-1])[labels]
    return _scalar_or_array(((target - arr) ** 2).sum(axis=-1), rows)


def neg_log(p: object) -> np.ndarray | float:
    """``-log p`` for probabilities in [0, 1], elementwise; ``p = 0`` gives ``+inf``."""
    arr = as_unit_interval(p)
    with np.errstate(divide="ignore"):
        return _float_if_scalar(-np.log(arr))


def squared_residual(p: object) -> np.ndarray | float:
    """The single residual ``(1 - p)^2`` that the CE-vs-SSR lesson sets beside ``-log p``."""
    arr = as_unit_interval(p)
    return _float_if_scalar((1.0 - arr) ** 2)


def binary_cross_entropy(p: object, t: object) -> np.ndarray | float:
    """Binary cross-entropy ``-(t log p + (1 - t) log(1 - p))`` with ``0 log 0 = 0``, elementwise."""
    pa = as_unit_interval(p, "p")
    ta = as_unit_interval(t, "target")
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(ta > 0, ta * np.log(pa), 0.0)
        neg = np.where(ta < 1, (1.0 - ta) * np.log1p(-pa), 0.0)
    return _float_if_scalar(-(pos + neg))


def binary_cross_entropy_with_logits(x: object, t: object) -> np.ndarray | float:
    """Binary cross-entropy from a logit ``x``: ``max(x, 0) - x t + log1p(exp(-|x|))``, elementwise."""
    xa = as_float_array(x, "logit")
    if not np.isfinite(xa).all():
        raise ValueError("a binary logit must be a finite number")
    ta = as_unit_interval(t, "target")
    return _float_if_scalar(np.maximum(xa, 0.0) - xa * ta + np.log1p(np.exp(-np.abs(xa))))


def sigmoid(x: object) -> np.ndarray | float:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise, without overflow for any finite or infinite x.

    For ``x >= 0`` it is ``1 / (1 + exp(-x))``; for ``x < 0`` the equal ``exp(x) / (1 + exp(x))``, so
    ``exp`` only ever sees a non-positive number. ``sigmoid(-inf) = 0``, ``sigmoid(inf) = 1``.
    """
    xa = as_float_array(x, "x")
    if np.isnan(xa).any():
        raise ValueError("sigmoid needs numbers, got NaN")
    e = np.exp(-np.abs(xa))
    return _float_if_scalar(np.where(xa >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def softplus(x: object) -> np.ndarray | float:
    """``log(1 + exp(x))``, elementwise, as ``max(x, 0) + log1p(exp(-|x|))``: no overflow, and full
    relative accuracy for very negative x (where it is about ``exp(x)``). ``softplus(-x) = -log sigmoid(x)``."""
    xa = as_float_array(x, "x")
    if np.isnan(xa).any():
        raise ValueError("softplus needs numbers, got NaN")
    with np.errstate(invalid="ignore"):  # inf - inf never happens: |x| = inf gives exp(-inf) = 0
        out = np.maximum(xa, 0.0) + np.log1p(np.exp(-np.abs(xa)))
    return _float_if_scalar(out)


def log_base(x: object, base: object) -> np.ndarray | float:
    """The logarithm of ``x`` in ``base`` (``log(x) / log(base)``), elementwise; ``x = 0`` gives ``-inf``.

    The base must be a positive number other than 1; a negative ``x`` has no logarithm (ValueError).
    """
    xa = as_float_array(x, "x")
    ba = as_float_array(base, "base")
    if not (np.isfinite(ba).all() and (ba > 0).all() and (ba != 1).all()):
        raise ValueError("the base of a logarithm must be a positive number other than 1")
    if np.isnan(xa).any() or (xa < 0).any():
        raise ValueError("the logarithm is only defined for numbers >= 0")
    with np.errstate(divide="ignore"):
        return _float_if_scalar(np.log(xa) / np.log(ba))


#: One nat in bits: ``1 / ln 2``.
BITS_PER_NAT = 1.0 / np.log(2.0)


def nats_to_bits(x: object) -> np.ndarray | float:
    """An amount of information (a loss, an entropy) in nats, given in bits: ``x / ln 2``."""
    return _float_if_scalar(as_float_array(x, "nats") / np.log(2.0))


def bits_to_nats(x: object) -> np.ndarray | float:
    """An amount of information in bits, given in nats: ``x * ln 2``."""
    return _float_if_scalar(as_float_array(x, "bits") * np.log(2.0))


def entropy(p: object, axis: int = -1) -> np.ndarray | float:
    """Shannon entropy ``-sum p log p`` in nats, with ``0 log 0 = 0``."""
    arr = as_float_array(p, "probabilities")
    arr = as_probs(np.moveaxis(arr, axis, -1) if arr.ndim else arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(arr > 0, arr * np.log(arr), 0.0)
    return _float_if_scalar(-terms.sum(axis=-1))


def kl_divergence(p: object, q: object) -> np.ndarray | float:
    """``KL(p || q) = sum p (log p - log q)`` in nats; ``+inf`` where ``q = 0`` but ``p > 0``."""
    pa, qa = as_probs(p, "p"), as_probs(q, "q")
    if pa.shape != qa.shape:
        raise ValueError(f"p and q must have the same shape, got {pa.shape} and {qa.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pa > 0, pa * (np.log(pa) - np.log(qa)), 0.0)
    return _float_if_scalar(terms.sum(axis=-1))


def smooth_labels(y: object, num_classes: int, epsilon: float) -> np.ndarray:
    """Label-smoothed targets with torch's meaning: ``(1 - e) * onehot(y) + e / C``."""
    _check_smoothing(epsilon)
    return (1.0 - epsilon) * one_hot(y, num_classes) + epsilon / num_classes


def _check_smoothing(epsilon: float) -> None:
    if isinstance(epsilon, bool) or not (
        isinstance(epsilon, (int, float, np.floating)) and 0.0 <= float(epsilon) <= 1.0
    ):
        raise ValueError(f"label smoothing must be a number in [0, 1], got {epsilon!r}")


def _logits_along(z: object, axis: int) -> np.ndarray:
    """Validate logits with ``axis`` as the class axis; return them as float64 in their own layout."""
    arr = as_float_array(z, "logits")
    if arr.ndim == 0:
        return as_logits(arr)  # raises the "needs a class axis" message
    return np.moveaxis(as_logits(np.moveaxis(arr, axis, -1)), -1, axis)


def _scalar_or_array(values: np.ndarray, rows: int | None) -> np.ndarray | float:
    return float(values.reshape(())) if rows is None else values


def _float_if_scalar(values: np.ndarray) -> np.ndarray | float:
    return float(values) if np.ndim(values) == 0 else values
