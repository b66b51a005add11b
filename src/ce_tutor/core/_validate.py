"""Input checks shared by the core's public functions.

Every check raises ``ValueError`` with a message that names the problem, so that callers (the lesson
checker, the quiz engine, the UI) can show it as is. Nothing here warns or wraps silently.
"""

from __future__ import annotations

import numbers

import numpy as np

#: How far a probability row's sum may be from 1 and still count as a distribution.
SUM_TOLERANCE = 1e-6


def as_logits(z: object, name: str = "logits") -> np.ndarray:
    """Return ``z`` as a float64 array of at least one dimension, rejecting NaN, +inf and all -inf rows."""
    arr = as_float_array(z, name)
    _check_class_axis(arr, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contain NaN")
    if np.isposinf(arr).any():
        raise ValueError(f"{name} contain +inf; only -inf (probability 0) is allowed")
    if arr.size and np.isneginf(arr).all(axis=-1).any():
        raise ValueError(f"a row of {name} is all -inf, which leaves no class with any probability")
    return arr


def as_probs(p: object, name: str = "probabilities") -> np.ndarray:
    """Return ``p`` as a float64 array whose last axis is a probability distribution."""
    arr = as_float_array(p, name)
    _check_class_axis(arr, name)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite numbers between 0 and 1")
    if (arr < 0).any() or (arr > 1).any():
        bad = arr[(arr < 0) | (arr > 1)].flat[0]
        raise ValueError(f"{name} must lie in [0, 1], found {bad:g}")
    if arr.size:
        sums = arr.sum(axis=-1)
        off = np.abs(sums - 1.0)
        if (off > SUM_TOLERANCE).any():
            worst = np.atleast_1d(sums).flat[int(np.argmax(np.atleast_1d(off)))]
            raise ValueError(
                f"each row of {name} must sum to 1 (within {SUM_TOLERANCE:g}), found a row summing to {worst:.10g}"
            )
    return arr


def as_unit_interval(p: object, name: str = "p") -> np.ndarray:
    """Return ``p`` as a float64 array of probabilities in [0, 1] (no sum condition)."""
    arr = as_float_array(p, name)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a finite number between 0 and 1")
    if (arr < 0).any() or (arr > 1).any():
        bad = arr[(arr < 0) | (arr > 1)].flat[0]
        raise ValueError(f"{name} must lie in [0, 1], found {bad:g}")
    return arr


def as_labels(y: object, n_rows: int | None, n_classes: int) -> np.ndarray:
    """Return class labels as an int64 array, checked against the batch shape.

    ``n_rows`` is None for a single prediction (then ``y`` must be one integer) or the number of rows.
    Labels must be integers (bool is refused; floats are accepted only when they are whole numbers) in
    ``[0, n_classes)``. A label of -1 is an error, never numpy's wrap-around to the last class.
    """
    if isinstance(y, (bool, np.bool_)):
        raise ValueError("a label must be an integer class index, not a bool")
    arr = np.asarray(y)
    if arr.dtype == bool:
        raise ValueError("labels must be integer class indices, not bools")
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and arr.max() > _LABEL_LIMIT:  # would wrap to negative
            _label_out_of_range(int(arr.max()), n_classes)
        labels = arr.astype(np.int64, copy=False)
    elif arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.floor(arr)).any():
            raise ValueError("labels must be whole numbers (class indices), found a non-integer")
        if arr.size and np.abs(arr).max() > _LABEL_LIMIT:  # the int64 cast would be undefined
            worst = arr.flat[int(np.argmax(np.abs(arr)))]
            if worst < 0:
                raise ValueError(f"labels must not be negative, found {worst:g}")
            _label_out_of_range(f"{worst:g}", n_classes)
        labels = arr.astype(np.int64)
    elif arr.dtype == object and arr.ndim == 0 and isinstance(y, numbers.Integral):
        if int(y) < 0:
            raise ValueError(f"labels must not be negative, found {int(y)}")
        if int(y) > _LABEL_LIMIT:  # too big for int64
            _label_out_of_range(int(y), n_classes)
        labels = np.asarray(int(y), dtype=np.int64)
    else:
        raise ValueError(f"labels must be integer class indices, got {arr.dtype} values")

    if n_rows is None:
        if labels.ndim != 0:
            raise ValueError(f"a single prediction takes one integer label, got shape {labels.shape}")
    else:
        if labels.ndim != 1:
            raise ValueError(f"labels must be a 1-D array with one label per row, got shape {labels.shape}")
        if labels.shape[0] != n_rows:
            raise ValueError(f"got {labels.shape[0]} labels for {n_rows} rows; they must match")
    if labels.size:
        if (labels < 0).any():
            raise ValueError(f"labels must not be negative, found {int(labels.min())}")
        if (labels >= n_classes).any():
            _label_out_of_range(int(labels.max()), n_classes)
    return labels


#: Labels above this are refused before any cast to int64 (no class count comes near it).
_LABEL_LIMIT = 2**53


def _label_out_of_range(label: object, n_classes: int) -> None:
    raise ValueError(f"label {label} is out of range for {n_classes} classes (0..{n_classes - 1})")


def _check_class_axis(arr: np.ndarray, name: str) -> None:
    """The last axis holds the classes: there must be one, with at least one class."""
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (one value per class), got a scalar")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one class, got shape {arr.shape}")


def batch_rows(arr: np.ndarray, name: str) -> int | None:
    """None for a single (C,) row, N for an (N, C) batch; other ranks are refused."""
    if arr.ndim == 1:
        return None
    if arr.ndim == 2:
        return arr.shape[0]
    raise ValueError(f"{name} must have shape (C,) or (N, C), got {arr.shape}")


def as_float_array(x: object, name: str) -> np.ndarray:
    """Return ``x`` as float64, refusing bools, strings, objects and ragged input."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be numbers: {exc}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be real numbers, got {arr.dtype} values")
    return arr.astype(np.float64, copy=False)
