"""Derivatives the lessons teach: of -log p, of (1 - p)^2, and of cross-entropy with respect to logits."""

from __future__ import annotations

import numpy as np

from ce_tutor.core._validate import as_labels, as_logits, as_unit_interval, batch_rows
from ce_tutor.core.losses import _float_if_scalar, softmax


def neg_log_grad(p: object) -> np.ndarray | float:
    """``d(-log p)/dp = -1/p``; ``p = 0`` gives ``-inf`` (the curve is vertical there)."""
    arr = as_unit_interval(p)
    with np.errstate(divide="ignore"):
        return _float_if_scalar(-1.0 / arr)


def squared_residual_grad(p: object) -> np.ndarray | float:
    """``d(1 - p)^2/dp = -2(1 - p)``."""
    arr = as_unit_interval(p)
    return _float_if_scalar(-2.0 * (1.0 - arr))


def softmax_slope(p: object) -> np.ndarray | float:
    """``dp/dz = p(1 - p)``: how a softmax probability moves with its own raw output (the others fixed)."""
    arr = as_unit_interval(p)
    return _float_if_scalar(arr * (1.0 - arr))


def neg_log_grad_raw(p: object) -> np.ndarray | float:
    """``d(-log p)/dz`` for the raw output ``z`` of the observed class, through softmax:
    ``-1/p * p(1 - p) = -(1 - p)``; finite even at ``p = 0`` (the ``1/p`` cancels)."""
    arr = as_unit_interval(p)
    return _float_if_scalar(-(1.0 - arr))


def squared_residual_grad_raw(p: object) -> np.ndarray | float:
    """``d(1 - p)^2/dz`` for the raw output ``z`` of the observed class, through softmax:
    ``-2(1 - p) * p(1 - p) = -2p(1 - p)^2``, which fades to 0 as ``p -> 0``."""
    arr = as_unit_interval(p)
    return _float_if_scalar(-2.0 * arr * (1.0 - arr) ** 2)


def cross_entropy_grad_logits(z: object, y: object) -> np.ndarray:
    """``d CE / d z = softmax(z) - onehot(y)``, per sample, the same shape as ``z``.

    Each row sums to 0. By the chain rule this is also the derivative with respect to an output-layer
    bias (a bias adds 1 times itself to its raw output), summed over the rows for a total loss.
    """
    arr = as_logits(z)
    rows = batch_rows(arr, "logits")
    labels = as_labels(y, rows, arr.shape[-1])
    grad = softmax(arr)
    if rows is None:
        grad[labels] -= 1.0
    else:
        grad[np.arange(arr.shape[0]), labels] -= 1.0
    return grad
