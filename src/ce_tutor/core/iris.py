"""The lessons' running example: a small network that classifies Iris flowers from two widths.

Inputs are petal width and sepal width. Two ReLU hidden units feed three raw outputs (logits), one per
species, whose softmax is the prediction::

    h1 = relu(-2.5 petal + 0.6 sepal + 1.6)       h2 = relu(-1.5 petal + 0.4 sepal + 0.7)
    setosa     = -0.1 h1 + 1.5 h2 + b3
    versicolor =  2.4 h1 - 5.2 h2 + b4
    virginica  = -2.2 h1 + 3.7 h2 + b5            with b3 = 0, b4 = 0, b5 = 1.

Every parameter has a name (``PARAMETER_NAMES``) so that lessons and the trainer can pick some of them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ce_tutor.core._validate import as_labels
from ce_tutor.core.losses import cross_entropy_from_logits, softmax

SPECIES: tuple[str, ...] = ("Setosa", "Versicolor", "Virginica")
FEATURES: tuple[str, ...] = ("petal width", "sepal width")

#: The three training rows used throughout the lessons: (petal width, sepal width) and species index.
IRIS_X = np.array([[0.04, 0.42], [1.00, 0.54], [0.50, 0.37]])
IRIS_Y = np.array([0, 2, 1])

#: name -> (array, index) inside the network's parameter arrays.
_LAYOUT: dict[str, tuple[str, tuple[int, ...]]] = {
    "h1_petal": ("w_hidden", (0, 0)), "h1_sepal": ("w_hidden", (0, 1)), "h1_bias": ("b_hidden", (0,)),
    "h2_petal": ("w_hidden", (1, 0)), "h2_sepal": ("w_hidden", (1, 1)), "h2_bias": ("b_hidden", (1,)),
    "setosa_h1": ("w_out", (0, 0)), "setosa_h2": ("w_out", (0, 1)), "b3": ("b_out", (0,)),
    "versicolor_h1": ("w_out", (1, 0)), "versicolor_h2": ("w_out", (1, 1)), "b4": ("b_out", (1,)),
    "virginica_h1": ("w_out", (2, 0)), "virginica_h2": ("w_out", (2, 1)), "b5": ("b_out", (2,)),
}
PARAMETER_NAMES: tuple[str, ...] = tuple(_LAYOUT)


def _default(values: list) -> np.ndarray:
    return np.array(values, dtype=np.float64)


@dataclass(frozen=True)
class IrisNetwork:
    """The video's network. Instances are immutable: ``with_params`` returns a changed copy."""

    w_hidden: np.ndarray = field(default_factory=lambda: _default([[-2.5, 0.6], [-1.5, 0.4]]))
    b_hidden: np.ndarray = field(default_factory=lambda: _default([1.6, 0.7]))
    w_out: np.ndarray = field(default_factory=lambda: _default([[-0.1, 1.5], [2.4, -5.2], [-2.2, 3.7]]))
    b_out: np.ndarray = field(default_factory=lambda: _default([0.0, 0.0, 1.0]))

    # -- parameters by name ------------------------------------------------------------------------
    def get(self, name: str) -> float:
        array, index = _lookup(name)
        return float(getattr(self, array)[index])

    def params(self) -> dict[str, float]:
        return {name: self.get(name) for name in PARAMETER_NAMES}

    def with_params(self, values: Mapping[str, float] | None = None, **kwargs: float) -> IrisNetwork:
        """A copy with the named parameters replaced, e.g. ``net.with_params(b3=-2)``."""
        arrays = {k: getattr(self, k).copy() for k in ("w_hidden", "b_hidden", "w_out", "b_out")}
        for name, value in {**(values or {}), **kwargs}.items():
            array, index = _lookup(name)
            value = float(value)
            if not np.isfinite(value):
                raise ValueError(f"parameter {name} must be a finite number, got {value}")
            arrays[array][index] = value
        return IrisNetwork(**arrays)

    # -- forward pass ------------------------------------------------------------------------------
    def hidden_pre(self, x: object) -> np.ndarray:
        return _inputs(x) @ self.w_hidden.T + self.b_hidden

    def hidden(self, x: object) -> np.ndarray:
        """ReLU activations of the two hidden units, shape (N, 2)."""
        return np.maximum(self.hidden_pre(x), 0.0)

    def logits(self, x: object) -> np.ndarray:
        """Raw output values (setosa, versicolor, virginica), shape (N, 3)."""
        return self.hidden(x) @ self.w_out.T + self.b_out

    def probabilities(self, x: object) -> np.ndarray:
        return softmax(self.logits(x))

    def cross_entropy(self, x: object, y: object) -> np.ndarray:
        """Per-row cross-entropy, computed from the logits."""
        return cross_entropy_from_logits(self.logits(x), y)

    def total_cross_entropy(self, x: object, y: object) -> float:
        return float(np.sum(self.cross_entropy(x, y)))

    # -- backward pass -----------------------------------------------------------------------------
    def gradients(self, x: object, y: object) -> dict[str, float]:
        """d(total CE)/d(parameter) for every named parameter, by the chain rule.

        For an output bias this is ``sum over rows of (p_k - onehot_k)``: for ``b3``, ``p_setosa - 1`` on
        Setosa rows and ``p_setosa`` on the others.
        """
        xs = _inputs(x)
        labels = as_labels(y, xs.shape[0], 3)
        pre = self.hidden_pre(xs)
        h = np.maximum(pre, 0.0)
        g_out = softmax(h @ self.w_out.T + self.b_out)
        g_out[np.arange(xs.shape[0]), labels] -= 1.0  # dCE/dlogits
        g_hidden = (g_out @ self.w_out) * (pre > 0)
        grads = {
            "w_out": g_out.T @ h, "b_out": g_out.sum(axis=0),
            "w_hidden": g_hidden.T @ xs, "b_hidden": g_hidden.sum(axis=0),
        }
        return {name: float(grads[array][index]) for name, (array, index) in _LAYOUT.items()}

    def loss_curve(self, x: object, y: object, name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """Total CE as one parameter sweeps ``values`` (all others fixed), for loss-curve plots."""
        return np.array([self.with_params({name: v}).total_cross_entropy(x, y) for v in np.asarray(values)])


@dataclass(frozen=True)
class Trajectory:
    """What gradient descent did: parameter values, loss and gradients at every step (step 0 = start)."""

    names: tuple[str, ...]
    values: np.ndarray  # (steps + 1, len(names))
    losses: np.ndarray  # (steps + 1,)
    gradients: np.ndarray  # (steps + 1, len(names)): the gradient at each recorded point
    network: IrisNetwork  # the network after the last step

    def value(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def gradient_descent(
    network: IrisNetwork,
    x: object,
    y: object,
    params: Sequence[str] = ("b3",),
    learning_rate: float = 1.0,
    steps: int = 1,
) -> Trajectory:
    """Plain gradient descent on the total cross-entropy over the chosen parameters.

    Each step sets ``param <- param - learning_rate * d(total)/d(param)``. The loss is recorded at every
    step, for the loss-over-steps plots.
    """
    if isinstance(params, str):
        raise TypeError(f"params must be a sequence of parameter names, such as ({params!r},), not a string")
    names = tuple(params)
    if not names:
        raise ValueError("choose at least one parameter to train")
    for name in names:
        _lookup(name)
    if isinstance(learning_rate, (bool, np.bool_)) or not (
        isinstance(learning_rate, numbers.Real) and math.isfinite(float(learning_rate)) and learning_rate > 0
    ):
        shown = learning_rate if isinstance(learning_rate, numbers.Real) else repr(learning_rate)
        raise ValueError(f"the learning rate must be a positive number, got {shown}")
    if isinstance(steps, (bool, np.bool_)) or not (isinstance(steps, (int, np.integer)) and 0 <= steps <= 100_000):
        raise ValueError(f"steps must be a whole number from 0 to 100000, got {steps!r}")
    values, losses, grads = [], [], []
    net = network
    for step in range(steps + 1):
        g = net.gradients(x, y)
        values.append([net.get(n) for n in names])
        losses.append(net.total_cross_entropy(x, y))
        grads.append([g[n] for n in names])
        if step < steps:
            net = net.with_params({n: net.get(n) - learning_rate * g[n] for n in names})
    return Trajectory(names, np.array(values), np.array(losses), np.array(grads), net)


def _lookup(name: str) -> tuple[str, tuple[int, ...]]:
    try:
        return _LAYOUT[name]
    except KeyError:
        raise ValueError(f"unknown parameter {name!r}; known: {', '.join(PARAMETER_NAMES)}") from None


def _inputs(x: object) -> np.ndarray:
    arr = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"inputs must be rows of (petal width, sepal width), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("inputs must be finite numbers")
    return arr
