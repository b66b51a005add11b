"""The safe expression language of lesson formulas and learners' typed answers.

A formula is read with :mod:`ast` and checked against a whitelist before anything runs: numbers, names,
arithmetic (``^`` means power, as in ``(1-p)^2``), comparisons, ``and``/``or``/``not``, ``a if c else b``,
indexing ``p[0]``, list literals and calls to the functions in :data:`FUNCTIONS`. Python itself never runs
the text (no eval or exec), and every problem, hostile input included, surfaces as :class:`FormulaError`.

Arithmetic is numpy float64 with floating-point warnings off, so ``9**9**9`` is ``inf`` (callers check
for it), never a giant int. :meth:`Formula.evaluate` returns a Python ``float`` or ``bool``, or a numpy
array (float64; bool for comparisons of arrays; int64 for ``argmax`` of a batch).
"""

from __future__ import annotations

import ast
import difflib
import functools
import gc
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ce_tutor import core

MAX_LIST_ITEMS = 64  #: items in one list literal
MAX_ARRAY_SIZE = 10_000  #: elements in any array a formula builds or is given
MAX_CLASSES = 1000  #: the class count of onehot() and smooth_labels()
MAX_DECIMALS = 12  #: round(x, n) keeps 0..12 decimals
MAX_GRID = 1000  #: points an Iris function runs over when given arrays

_DEADLINE: ContextVar[float] = ContextVar("ce_tutor_formula_deadline", default=math.inf)

class _CollectorTime(threading.local):
    """The CPU time the garbage collector has spent in this thread (its callbacks run in the thread whose
    allocation started the collection)."""

    spent = 0.0
    started: float | None = None


_COLLECTOR = _CollectorTime()


def _time_collections(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _COLLECTOR.started = time.thread_time()
    elif _COLLECTOR.started is not None:
        _COLLECTOR.spent += time.thread_time() - _COLLECTOR.started
        _COLLECTOR.started = None


gc.callbacks.append(_time_collections)


def clock() -> float:
    """The clock deadlines are measured on: this thread's CPU time, so that a loaded machine (a busy CI
    runner, parallel test workers) does not make a legitimate formula "take too long", while a hostile one
    still runs out of budget just as fast; less the time the garbage collector spent in this thread, which
    is the process's work, not the formula's (a full collection of a large heap, started by whatever
    allocation comes next, can take longer than a formula's whole deadline)."""
    return time.thread_time() - _COLLECTOR.spent
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class WorkLimitExceeded(Exception):
    """A :class:`Budget` ran out (or was cancelled): the whole piece of work stops, not just one formula.

    Deliberately not a FormulaError (nor a ValueError), so that no layer that handles one formula's
    problem and goes on to the next (a quiz redraw, a self-test variant) swallows it: it reaches whoever
    opened the budget, which says which step used it up. ``reason`` is "time", "output" or "cancelled".
    """

    def __init__(self, message: str, reason: str, budget: Budget | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.budget = budget  #: the budget that ran out


class Budget:
    """The work one lesson (or one step of it) may do, across all its formulas, texts and quiz draws.

    On top of each formula's own deadline: ``cpu_s`` seconds of this thread's CPU time (the same clock as
    the deadlines) from when the budget is entered, and ``output`` values and characters produced (every
    formula result counts its size, every rendered text its length). Use it as a context manager around
    the work; :meth:`cancel` (from any thread) stops the work at its next step, which is how a front end
    drops a computation nobody waits for. Budgets nest: the innermost one is charged, and the outer ones
    still stop the work when they run out.
    """

    def __init__(self, cpu_s: float, output: int, what: str = "this lesson") -> None:
        self.cpu_s = cpu_s
        self.output = output
        self.what = what
        self.used_output = 0
        self.cancelled = False
        self._deadline = math.inf
        self._outer: Budget | None = None
        self._token: object = None

    def __enter__(self) -> Budget:
        if self._token is not None:
            raise RuntimeError("a Budget is entered once; make a new one for new work")
        self._deadline = clock() + self.cpu_s
        self._outer = _BUDGET.get()
        self._token = _BUDGET.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _BUDGET.reset(self._token)  # type: ignore[arg-type]

    def cancel(self) -> None:
        self.cancelled = True

    def check(self, now: float | None = None) -> None:
        """Raise WorkLimitExceeded if this budget (or one around it) is used up or cancelled."""
        now = clock() if now is None else now
        budget: Budget | None = self
        while budget is not None:
            if budget.cancelled:
                raise WorkLimitExceeded(f"the work on {budget.what} was cancelled", "cancelled", budget)
            if now >= budget._deadline:
                raise WorkLimitExceeded(
                    f"{budget.what} takes too long to compute (more than {budget.cpu_s:g} s of work in all)", "time",
                    budget,
                )
            budget = budget._outer

    def spend(self, amount: int) -> None:
        """Count ``amount`` values or characters of output against this budget and the ones around it."""
        budget: Budget | None = self
        while budget is not None:
            budget.used_output += amount
            if budget.used_output > budget.output:
                raise WorkLimitExceeded(
                    f"{budget.what} produces too much output (more than {budget.output:,} values and characters"
                    " in all)", "output", budget,
                )
            budget = budget._outer


_BUDGET: ContextVar[Budget | None] = ContextVar("ce_tutor_formula_budget", default=None)


def current_budget() -> Budget | None:
    """The innermost budget entered on this thread, if any."""
    return _BUDGET.get()


def spend(amount: int) -> None:
    """Charge ``amount`` values or characters to the current budget, if there is one (and check its time)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.check()
        budget.spend(amount)


class FormulaError(ValueError):
    """A message fit to show a lesson author or a learner.

    ``source`` is the formula's text and ``offset`` the 0-based column in it where the problem is, if known.
    """

    def __init__(self, message: str, source: str = "", offset: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.offset = offset


# -- value helpers ---------------------------------------------------------------------------------------
def _tick() -> None:
    """Raise if the running evaluation has passed its deadline, or its budget is used up or cancelled."""
    now = clock()
    if now >= _DEADLINE.get():
        raise FormulaError("the formula took too long to evaluate")
    budget = _BUDGET.get()
    if budget is not None:
        budget.check(now)


def _floats(x: object) -> np.ndarray:
    """``x`` as a float64 array (bools count as 0 and 1)."""
    return np.asarray(x, dtype=np.float64)


def _out(a: np.ndarray) -> np.ndarray | float:
    return float(a) if np.ndim(a) == 0 else a


def _check_size(n: int) -> None:
    if n > MAX_ARRAY_SIZE:
        raise ValueError(f"that makes {n} values; a formula may use at most {MAX_ARRAY_SIZE}")


def _whole(value: object, what: str) -> int:
    """``value`` as an int if it is a whole number (an int, or a float like 1.0), else ValueError."""
    item = np.asarray(value).item() if np.ndim(value) == 0 else None
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    if isinstance(item, float) and math.isfinite(item) and item.is_integer():
        return int(item)
    shown = f"{value:g}" if isinstance(value, float) else ("a list" if np.ndim(value) else repr(value))
    raise ValueError(f"{what} must be a whole number, got {shown}")


def _arith(op: Callable[..., object], *values: object) -> object:
    """Apply a numpy function to ``values`` as float64, refusing shapes that do not fit or grow too big
    (before numpy allocates the result)."""
    _check_size(math.prod(_broadcast_shape(*values)))
    return op(*(_floats(v) for v in values))


def _truth(value: object) -> object:
    """True where ``value`` is non-zero: a numpy bool for a number, a bool array for an array."""
    return _floats(value) != 0


def _bool(value: object) -> object:
    return bool(value) if np.ndim(value) == 0 else value


def _export(value: object) -> object:
    """The public form of a result: float, bool or array."""
    if np.ndim(value) == 0:
        item = np.asarray(value).item()
        return item if isinstance(item, bool) else float(item)
    return value


def _from_env(name: str, value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return np.float64(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"variable {name!r} must hold numbers, got {arr.dtype} values")
        _check_size(arr.size)
        return arr
    raise ValueError(f"variable {name!r} must be a number or a list of numbers, got {type(value).__name__}")


# -- functions -------------------------------------------------------------------------------------------
def _ufunc(f: np.ufunc) -> Callable[[object], np.ndarray | float]:
    def apply(x: object) -> np.ndarray | float:
        with np.errstate(all="ignore"):
            return _out(f(_floats(x)))

    apply.__doc__ = f"Elementwise numpy.{f.__name__}; works on numbers and arrays."
    return apply


def _extreme(reduce: Callable[[np.ndarray], object], pairwise: np.ufunc, word: str) -> Callable[..., object]:
    def apply(*args: object) -> np.ndarray | float:
        if len(args) > 1:
            return _out(functools.reduce(pairwise, (_floats(a) for a in args)))
        arr = _floats(args[0])
        if arr.size == 0:
            raise ValueError(f"the {word} of an empty list is undefined")
        return float(reduce(arr))

    apply.__doc__ = f"The {word} of one array, or the elementwise {word} of several arguments."
    return apply


def _log(x: object, base: object = None) -> np.ndarray | float:
    """``log(x)`` is the natural log (as ``ln``); ``log(x, base)`` the log in that base (``log(8, 2)`` is 3)."""
    if base is None:
        with np.errstate(all="ignore"):
            return _out(np.log(_floats(x)))
    return _arith(core.log_base, x, base)


def _sum(x: object) -> float:
    return float(np.sum(_floats(x)))


def _mean(x: object) -> float:
    arr = _floats(x)
    if arr.size == 0:
        raise ValueError("the mean of an empty list is undefined")
    return float(arr.mean())


def _round(x: object, n: object = 0) -> np.ndarray | float:
    digits = _whole(n, "the number of decimals")
    if not 0 <= digits <= MAX_DECIMALS:
        raise ValueError(f"the number of decimals must be 0 to {MAX_DECIMALS}, got {digits}")
    return _out(np.round(_floats(x), digits))


def _clip(x: object, lo: object, hi: object) -> np.ndarray | float:
    low, high = _floats(lo), _floats(hi)
    if np.any(low > high):
        raise ValueError("the lower bound must not exceed the upper bound")
    return _out(np.clip(_floats(x), low, high))


def _argmax(x: object) -> np.ndarray | int:
    """The index of the largest value; per row (class axis last) for a batch."""
    arr = _floats(x)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError("needs a non-empty list")
    idx = np.argmax(arr, axis=-1)
    return int(idx) if idx.ndim == 0 else idx


def _len(x: object) -> int:
    if np.ndim(x) == 0:
        raise ValueError("needs a list, got a single number")
    return len(np.asarray(x))


def _classes(c: object) -> int:
    n = _whole(c, "the number of classes")
    if not 1 <= n <= MAX_CLASSES:
        raise ValueError(f"the number of classes must be 1 to {MAX_CLASSES}, got {n}")
    return n


def _onehot(y: object, c: object) -> np.ndarray:
    n = _classes(c)
    _check_size(np.size(y) * n)
    return core.one_hot(y, n)


def _smooth_labels(y: object, c: object, eps: object) -> np.ndarray:
    n = _classes(c)
    _check_size(np.size(y) * n)
    return core.smooth_labels(y, n, eps)


# -- the Iris network (rows 0, 1, 2 of core.IRIS_X / core.IRIS_Y) -----------------------------------------
_NET = core.IrisNetwork()


def _over_grid(fn: Callable[..., object]) -> Callable[..., object]:
    """Let a function of numbers take arrays: it runs once per point of the broadcast grid.

    The grid's axes come last in the result, so ``iris_probs(x, 0.42, 0)[0]`` is the Setosa curve over x.
    """

    @functools.wraps(fn)
    def over(*args: object) -> object:
        arrays = np.broadcast_arrays(*(_floats(a) for a in args))
        grid = arrays[0].shape
        if not grid:
            return fn(*(float(a) for a in arrays))
        if arrays[0].size == 0:
            raise ValueError("got an empty list")
        if arrays[0].size > MAX_GRID:
            raise ValueError(f"runs over at most {MAX_GRID} points at once, got {arrays[0].size}")
        results = []
        for point in np.ndindex(grid):
            _tick()
            results.append(_floats(fn(*(float(a[point]) for a in arrays))))
        stacked = np.stack(results, axis=-1)
        return stacked.reshape(stacked.shape[:-1] + grid)

    return over


def _row(i: object) -> int:
    n = _whole(i, "an Iris row")
    if not 0 <= n < len(core.IRIS_Y):
        raise ValueError(f"there is no Iris row {n}; the rows are 0 to {len(core.IRIS_Y) - 1}")
    return n


def _iris_x(i: object) -> np.ndarray:
    """[petal width, sepal width] of row i."""
    return core.IRIS_X[_row(i)].copy()


def _iris_y(i: object) -> int:
    """The species index of row i."""
    return int(core.IRIS_Y[_row(i)])


@_over_grid
def _iris_hidden(petal: float, sepal: float) -> np.ndarray:
    return _NET.hidden([petal, sepal])[0]


@_over_grid
def _iris_logits(petal: float, sepal: float, b3: float) -> np.ndarray:
    return _NET.with_params(b3=b3).logits([petal, sepal])[0]


@_over_grid
def _iris_probs(petal: float, sepal: float, b3: float) -> np.ndarray:
    return _NET.with_params(b3=b3).probabilities([petal, sepal])[0]


@_over_grid
def _iris_row_ce(i: float, b3: float) -> float:
    r = _row(i)
    return float(_NET.with_params(b3=b3).cross_entropy(core.IRIS_X[r], core.IRIS_Y[r : r + 1])[0])


@_over_grid
def _iris_total_ce(b3: float) -> float:
    return _NET.with_params(b3=b3).total_cross_entropy(core.IRIS_X, core.IRIS_Y)


def _dtotal_db3(b3: float) -> float:
    return _NET.with_params(b3=b3).gradients(core.IRIS_X, core.IRIS_Y)["b3"]


@_over_grid
def _iris_step_b3(b3: float, lr: float) -> float:
    return b3 - lr * _dtotal_db3(b3)


@_over_grid
def _iris_descent_b3(b3: float, lr: float, k: float) -> float:
    """b3 after ``k`` steps of gradient descent on the total CE (k = 0 gives b3 back)."""
    steps = _whole(k, "a number of steps")
    if not 0 <= steps <= 1000:
        raise ValueError(f"the number of steps must be from 0 to 1000, got {steps}")
    return float(core.gradient_descent(_NET.with_params(b3=b3), core.IRIS_X, core.IRIS_Y, ("b3",), lr, steps).value("b3")[-1])


# name -> (function, least and most arguments; None = any number)
_TABLE: dict[str, tuple[Callable[..., object], int, int | None]] = {
    "ln": (_ufunc(np.log), 1, 1), "log": (_log, 1, 2), "log2": (_ufunc(np.log2), 1, 1),
    "log10": (_ufunc(np.log10), 1, 1), "exp": (_ufunc(np.exp), 1, 1), "sqrt": (_ufunc(np.sqrt), 1, 1),
    "abs": (_ufunc(np.abs), 1, 1), "floor": (_ufunc(np.floor), 1, 1), "ceil": (_ufunc(np.ceil), 1, 1),
    "min": (_extreme(np.min, np.minimum, "minimum"), 1, None),
    "max": (_extreme(np.max, np.maximum, "maximum"), 1, None),
    "sum": (_sum, 1, 1), "mean": (_mean, 1, 1), "round": (_round, 1, 2), "clip": (_clip, 3, 3),
    "argmax": (_argmax, 1, 1), "len": (_len, 1, 1),
    "softmax": (core.softmax, 1, 1), "log_softmax": (core.log_softmax, 1, 1), "logsumexp": (core.logsumexp, 1, 1),
    "onehot": (_onehot, 2, 2), "cross_entropy": (core.cross_entropy, 2, 2),
    "ce_logits": (core.cross_entropy_from_logits, 2, 2), "total_ce": (core.total_cross_entropy, 2, 2),
    "mean_ce": (core.mean_cross_entropy, 2, 2), "ssr": (core.ssr, 2, 2), "neg_log": (core.neg_log, 1, 1),
    "sq_residual": (core.squared_residual, 1, 1), "neg_log_grad": (core.neg_log_grad, 1, 1),
    "sq_residual_grad": (core.squared_residual_grad, 1, 1), "ce_grad": (core.cross_entropy_grad_logits, 2, 2),
    "entropy": (core.entropy, 1, 1), "kl": (core.kl_divergence, 2, 2), "bce": (core.binary_cross_entropy, 2, 2),
    "bce_logits": (core.binary_cross_entropy_with_logits, 2, 2), "smooth_labels": (_smooth_labels, 3, 3),
    "iris_x": (_iris_x, 1, 1), "iris_y": (_iris_y, 1, 1), "iris_hidden": (_iris_hidden, 2, 2),
    "iris_logits": (_iris_logits, 3, 3), "iris_probs": (_iris_probs, 3, 3), "iris_row_ce": (_iris_row_ce, 2, 2),
    "iris_total_ce": (_iris_total_ce, 1, 1), "iris_dtotal_db3": (_over_grid(_dtotal_db3), 1, 1),
    "iris_step_b3": (_iris_step_b3, 2, 2), "iris_descent_b3": (_iris_descent_b3, 3, 3),
    "sigmoid": (core.sigmoid, 1, 1), "softplus": (core.softplus, 1, 1),
    "softmax_slope": (core.softmax_slope, 1, 1), "neg_log_grad_z": (core.neg_log_grad_raw, 1, 1),
    "sq_residual_grad_z": (core.squared_residual_grad_raw, 1, 1),
    "nats_to_bits": (core.nats_to_bits, 1, 1), "bits_to_nats": (core.bits_to_nats, 1, 1),
}
FUNCTIONS: Mapping[str, Callable[..., object]] = MappingProxyType({k: v[0] for k, v in _TABLE.items()})
#: Functions that work item by item: given a list, they give one result per item and nothing else.
ELEMENTWISE = frozenset({
    "ln", "log", "log2", "log10", "exp", "sqrt", "abs", "floor", "ceil", "round", "clip", "neg_log",
    "sq_residual", "neg_log_grad", "sq_residual_grad", "bce", "bce_logits", "sigmoid", "softplus",
    "nats_to_bits", "bits_to_nats", "softmax_slope", "neg_log_grad_z", "sq_residual_grad_z", "iris_row_ce", "iris_total_ce", "iris_dtotal_db3", "iris_step_b3",
    "iris_descent_b3",
})
#: Functions that run once per point of a grid, with the grid's axes last (``iris_probs(x, s, b)[0]``).
_GRID_VECTORS = frozenset({"iris_hidden", "iris_logits", "iris_probs"})

# -- result shapes, known before a function runs ---------------------------------------------------------
#: A shape rule: called with a function's evaluated arguments (numbers or arrays, before the function
#: runs), it returns the shape of the function's result, or raises ValueError for arguments that cannot
#: go together. The evaluator refuses a call whose result would hold more than MAX_ARRAY_SIZE values
#: before the function allocates anything.
ShapeRule = Callable[..., tuple[int, ...]]


def _broadcast_shape(*args: object) -> tuple[int, ...]:
    """The broadcast shape of all the arguments: the rule of every elementwise function (the default)."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in args))
    except ValueError:
        shapes = " and ".join(str(np.shape(a)) for a in args)
        raise ValueError(f"cannot combine lists of shapes {shapes}") from None


def _one_number(*args: object) -> tuple[int, ...]:
    return ()


def _same_as_first(first: object, *rest: object) -> tuple[int, ...]:
    return np.shape(first)


def _class_axis_dropped(first: object, *rest: object) -> tuple[int, ...]:
    return np.shape(first)[:-1]


def _extreme_shape(*args: object) -> tuple[int, ...]:
    return () if len(args) == 1 else _broadcast_shape(*args)


def _class_axis_added(y: object, c: object, *rest: object) -> tuple[int, ...]:
    return (*np.shape(y), _classes(c))


def _over_grid_shape(point: tuple[int, ...]) -> ShapeRule:
    """The rule of an ``_over_grid`` function whose value at one point has shape ``point``."""

    def rule(*args: object) -> tuple[int, ...]:
        grid = _broadcast_shape(*args)
        return (*point, *grid) if grid else point

    return rule


#: The shape rule of every function that is not elementwise. A function missing here is taken to be
#: elementwise: its result has the broadcast shape of its arguments (``ln``, ``clip``, ``bce``...). To add a
#: function that is not elementwise, give it a rule here, and make sure its working memory is a small
#: multiple of its arguments' and its result's size (no ``eye(C)`` and no outer products);
#: ``test_every_function_has_a_true_shape_rule`` checks each rule against the function on many shapes.
_SHAPES: dict[str, ShapeRule] = {
    "min": _extreme_shape, "max": _extreme_shape, "sum": _one_number, "mean": _one_number,
    "len": _one_number, "argmax": _class_axis_dropped, "softmax": _same_as_first,
    "log_softmax": _same_as_first, "logsumexp": _class_axis_dropped, "onehot": _class_axis_added,
    "smooth_labels": _class_axis_added, "cross_entropy": _class_axis_dropped,
    "ce_logits": _class_axis_dropped, "total_ce": _one_number, "mean_ce": _one_number,
    "ssr": _class_axis_dropped, "ce_grad": _same_as_first, "entropy": _class_axis_dropped,
    "kl": _class_axis_dropped, "iris_x": lambda i: (2,), "iris_y": _one_number,
    "iris_hidden": _over_grid_shape((len(_NET.b_hidden),)),
    "iris_logits": _over_grid_shape((3,)), "iris_probs": _over_grid_shape((3,)),
    "iris_row_ce": _over_grid_shape(()), "iris_total_ce": _over_grid_shape(()),
    "iris_dtotal_db3": _over_grid_shape(()), "iris_step_b3": _over_grid_shape(()),
    "iris_descent_b3": _over_grid_shape(()),
}


def result_shape(name: str, args: Iterable[object]) -> tuple[int, ...]:
    """The shape ``FUNCTIONS[name](*args)`` will have (ValueError if the arguments cannot go together)."""
    return tuple(_SHAPES.get(name, _broadcast_shape)(*args))
_ARITY: dict[str, tuple[int, int | None]] = {k: (lo, hi) for k, (_, lo, hi) in _TABLE.items()}
CONSTANTS: Mapping[str, float] = MappingProxyType({"e": math.e, "pi": math.pi, "inf": math.inf})


def is_reserved(name: str) -> bool:
    """True for the names of functions and constants, which lesson variables may not shadow."""
    return name in FUNCTIONS or name in CONSTANTS


# -- reading and checking --------------------------------------------------------------------------------
_BINOPS: dict[type, Callable[..., object]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_COMPARE: dict[type, Callable[..., object]] = {
    ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Eq: np.equal, ast.NotEq: np.not_equal,
}
_OP_WORDS: dict[type, str] = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitAnd: "&", ast.Invert: "~", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access (a dot after a value) is not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed", ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed", ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred values (*x) are not allowed", ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed", ast.NamedExpr: "assignment with := is not allowed",
    ast.Slice: "slices like p[0:2] are not allowed; use a single index like p[0]",
}


def _quote(source: str, limit: int = 60) -> str:
    return repr(source if len(source) <= limit else source[: limit - 1] + "…")


def _char_offset(text: str, lineno: int, col: int, *, col_in_bytes: bool) -> int:
    """0-based character offset in ``text`` of a 1-based line and a 0-based column."""
    lines = _LINES.findall(text)
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    if col_in_bytes:
        col = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
    return min(sum(len(x) for x in lines[: max(lineno - 1, 0)]) + max(col, 0), len(text))


def _readable(source: str) -> str:
    """The text handed to ast: no leading whitespace, and ``^`` written as ``**`` so that it binds like a power.

    (Python's ``^`` binds looser than ``+``, which would make ``1 - p^2`` mean ``(1 - p)**2``.) A ``^`` inside
    a string or comment is rewritten too, which is harmless: strings are refused and comments ignored.
    """
    return source.lstrip().replace("^", "**")


def _source_offset(source: str, lineno: int, col: int, *, col_in_bytes: bool) -> int:
    """The 0-based offset in ``source`` of a position (1-based line, 0-based column) in its readable text."""
    stripped = source.lstrip()
    offset = _char_offset(_readable(source), lineno, col, col_in_bytes=col_in_bytes)
    carets = [i for i, ch in enumerate(stripped) if ch == "^"]
    widened = sum(1 for j, c in enumerate(carets) if c + j + 1 <= offset)  # each ^ became two characters
    return len(source) - len(stripped) + offset - widened


def _node_offset(source: str, node: ast.AST) -> int:
    return _source_offset(source, node.lineno, node.col_offset, col_in_bytes=True)


def _arity_message(name: str, n: int) -> str | None:
    lo, hi = _ARITY[name]
    if lo <= n and (hi is None or n <= hi):
        return None
    if hi is None:
        wanted = f"at least {lo} argument{'s' * (lo != 1)}"
    elif lo == hi:
        wanted = f"{lo} argument{'s' * (lo != 1)}"
    else:
        wanted = f"{lo} to {hi} arguments"
    return f"{name}() takes {wanted}, got {n}"


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_node(node: ast.AST) -> tuple[str | None, list[ast.AST]]:
    """Return (refusal message or None, the child expressions to check next)."""
    match node:
        case ast.Constant(value=bool() | int() | float()):
            return None, []
        case ast.Constant(value=str()):
            return "text strings are not allowed", []
        case ast.Constant(value=bytes()):
            return "byte strings are not allowed", []
        case ast.Constant(value=complex()):
            return "complex numbers are not allowed", []
        case ast.Constant(value=v):
            return f"{v!r} is not allowed", []
        case ast.Name(id=name) if name in FUNCTIONS:
            return f"{name} is a function; call it like {name}(...)", []
        case ast.Name():
            return None, []
        case ast.BinOp(op=op) | ast.UnaryOp(op=op) if type(op) in _OP_WORDS:
            return f"the {_OP_WORDS[type(op)]} operator is not allowed", []
        case ast.BinOp(left=left, right=right):
            return None, [left, right]
        case ast.UnaryOp(operand=operand):
            return None, [operand]
        case ast.BoolOp(values=values):
            return None, list(values)
        case ast.Compare(ops=ops, left=left, comparators=rest):
            bad = [_OP_WORDS[type(op)] for op in ops if type(op) not in _COMPARE]
            return (f"the {bad[0]!r} comparison is not allowed" if bad else None), [left, *rest]
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return None, [test, body, orelse]
        case ast.Subscript(slice=ast.Tuple()):
            return "index with one number at a time, like p[i][j], not p[i, j]", []
        case ast.Subscript(value=value, slice=index):
            return None, [value, index]
        case ast.List(elts=items) | ast.Tuple(elts=items) if len(items) > MAX_LIST_ITEMS:
            return f"a list may have at most {MAX_LIST_ITEMS} items, this one has {len(items)}", []
        case ast.List(elts=items) | ast.Tuple(elts=items):
            return None, list(items)
        case ast.Call(func=ast.Name(id=name)) if name in CONSTANTS:
            return f"{name} is a constant, not a function", []
        case ast.Call(func=ast.Name(id=name)) if name not in FUNCTIONS:
            return f"unknown function {name!r}{_suggest(name, FUNCTIONS)}", []
        case ast.Call(keywords=[_, *_]):
            return "keyword arguments (name=value) are not allowed; pass arguments by position", []
        case ast.Call(func=ast.Name(id=name), args=args):
            return _arity_message(name, len(args)), list(args)
        case ast.Call():
            return "only named functions can be called, like ln(x)", []
    return _REFUSED.get(type(node), f"{type(node).__name__} is not allowed"), []


def _uses(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _elementwise(node: ast.AST, name: str) -> bool:
    """True if every path from ``name`` to the result of ``node`` goes through item-by-item operations."""
    if not _uses(node, name):
        return True
    match node:
        case ast.Name():
            return True
        case ast.BinOp(left=left, right=right):
            return _elementwise(left, name) and _elementwise(right, name)
        case ast.UnaryOp(operand=operand):
            return _elementwise(operand, name)
        case ast.BoolOp(values=values):
            return all(_elementwise(v, name) for v in values)
        case ast.Compare(left=left, comparators=rest):
            return all(_elementwise(v, name) for v in (left, *rest))
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return all(_elementwise(v, name) for v in (test, body, orelse))
        case ast.Call(func=ast.Name(id=fn), args=args) if fn in ELEMENTWISE or fn in _GRID_VECTORS or (
            fn in ("min", "max") and len(args) > 1
        ):
            return all(_elementwise(a, name) for a in args)
        case ast.Subscript(value=ast.Call(func=ast.Name(id=fn), args=args), slice=index) if fn in _GRID_VECTORS:
            return not _uses(index, name) and all(_elementwise(a, name) for a in args)
    return False


# -- the formula -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Formula:
    """A checked formula, ready to evaluate any number of times."""

    source: str
    names: frozenset[str]  #: free variable names (not functions, not constants)
    functions: frozenset[str]  #: names of the functions it calls
    _tree: ast.Expression = field(repr=False, compare=False)

    def check_names(self, known: Iterable[str]) -> None:
        """Raise FormulaError naming every variable that is neither in ``known`` nor a constant."""
        allowed = set(known)
        unknown = self.names - allowed
        missing = sorted(
            (n for n in ast.walk(self._tree) if isinstance(n, ast.Name) and n.id in unknown),
            key=lambda n: (n.lineno, n.col_offset),
        )
        if missing:
            unique = list(dict.fromkeys(n.id for n in missing))
            listed = ", ".join(repr(n) for n in unique)
            hint = _suggest(unique[0], [*allowed, *CONSTANTS]) if len(unique) == 1 else ""
            message = f"unknown name{'s' * (len(unique) > 1)} {listed}{hint}"
            raise FormulaError(message, self.source, _node_offset(self.source, missing[0]))

    def elementwise_in(self, name: str) -> bool:
        """True if the formula treats the variable ``name`` item by item, so that giving it a list of
        values gives the list of results (``-ln(x)``, ``x^2 + 1``, ``iris_probs(x, 0.42, 0)[0]``).

        False if ``name`` reaches a list literal, an index, or a function that works on a whole list
        (``softmax([0, x])``, ``sum(x)``, ``kl(p, [x, 1 - x])``): then the formula must be evaluated once
        per value (see :meth:`evaluate_over`).
        """
        return _elementwise(self._tree.body, name)

    def evaluate_over(
        self, name: str, grid: object, env: Mapping[str, object] | None = None, *, deadline_s: float = 0.5
    ) -> np.ndarray:
        """The formula at every value of ``grid`` given to ``name``, as a float array shaped like the grid.

        At once when :meth:`elementwise_in` allows it, otherwise once per value with ``name`` a single
        number, so that ``softmax([0, x])[1]`` over a grid of x means what it says. Each value's result
        must be a single number. All values together must finish within ``deadline_s`` seconds.
        """
        points = np.asarray(grid, dtype=np.float64)
        _check_size(points.size)
        scope = dict(env or {})
        if self.elementwise_in(name):
            scope[name] = points
            value = np.asarray(self.evaluate(scope, deadline_s=deadline_s), dtype=np.float64)
            return np.broadcast_to(value, points.shape).copy() if value.ndim == 0 else value
        out = np.empty(points.shape)
        stop = clock() + deadline_s
        for index in np.ndindex(points.shape):
            scope[name] = float(points[index])
            value = self.evaluate(scope, deadline_s=max(0.0, stop - clock()))
            if np.ndim(value) != 0:
                shown = "×".join(map(str, np.shape(value)))
                raise FormulaError(
                    f"gives {shown} values at {name} = {points[index]:g}; a single number is needed there",
                    self.source,
                )
            out[index] = float(value)
        return out

    def evaluate(self, env: Mapping[str, object] | None = None, *, deadline_s: float = 0.25) -> object:
        """Evaluate with variables from ``env``: a float, a bool or a numpy array.

        Raises FormulaError for every problem, including passing ``deadline_s`` seconds ("took too long").
        """
        if not (isinstance(deadline_s, (int, float)) and deadline_s >= 0):
            raise FormulaError(f"deadline_s must be a number of seconds >= 0, got {deadline_s!r}", self.source)
        token = _DEADLINE.set(clock() + deadline_s)
        try:
            with np.errstate(all="ignore"):
                result = _export(_Evaluator(self.source, env or {}).visit(self._tree.body))
            spend(int(np.size(result)))
            return result
        except WorkLimitExceeded:
            raise
        except FormulaError as exc:
            exc.source = self.source
            raise
        except Exception as exc:  # the safety net: nothing but FormulaError leaves evaluate
            raise FormulaError(f"could not evaluate {_quote(self.source)}: {exc}", self.source) from exc
        finally:
            _DEADLINE.reset(token)


class _Evaluator:
    """Walks a checked tree; every handler returns an int, bool, numpy scalar or numpy array."""

    def __init__(self, source: str, env: Mapping[str, object]) -> None:
        self.source = source
        self.env = env
        self.handlers: dict[type, Callable[[ast.AST], object]] = {
            ast.Constant: self._constant, ast.Name: self._name, ast.BinOp: self._binop,
            ast.UnaryOp: self._unaryop, ast.BoolOp: self._boolop, ast.Compare: self._compare,
            ast.IfExp: self._ifexp, ast.Subscript: self._subscript, ast.List: self._list,
            ast.Tuple: self._list, ast.Call: self._call,
        }

    def error(self, message: str, node: ast.AST) -> FormulaError:
        return FormulaError(message, self.source, _node_offset(self.source, node))

    def visit(self, node: ast.AST) -> object:
        _tick()
        try:
            value = self.handlers[type(node)](node)
            if isinstance(value, np.ndarray):
                _check_size(value.size)
        except FormulaError:
            raise
        except (ValueError, TypeError, ArithmeticError, IndexError) as exc:
            raise self.error(str(exc), node) from None
        return value

    def _constant(self, node: ast.Constant) -> object:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) < 2**63:
            return value
        try:  # too big for an index: it is only good for arithmetic, as a float
            return float(value)
        except OverflowError:
            return math.inf

    def _name(self, node: ast.Name) -> object:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id not in self.env:
            hint = _suggest(node.id, [k for k in self.env if isinstance(k, str)] + list(CONSTANTS))
            raise self.error(f"unknown name {node.id!r}{hint}", node)
        return _from_env(node.id, self.env[node.id])

    def _binop(self, node: ast.BinOp) -> object:
        return _arith(_BINOPS[type(node.op)], self.visit(node.left), self.visit(node.right))

    def _unaryop(self, node: ast.UnaryOp) -> object:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return _bool(np.logical_not(_truth(value)))
        return _arith(np.negative if isinstance(node.op, ast.USub) else np.positive, value)

    def _boolop(self, node: ast.BoolOp) -> object:
        is_and = isinstance(node.op, ast.And)
        result: object = is_and
        for value_node in node.values:
            truth = _truth(self.visit(value_node))
            _check_size(math.prod(_broadcast_shape(result, truth)))
            result = np.logical_and(result, truth) if is_and else np.logical_or(result, truth)
            if np.ndim(result) == 0 and bool(result) != is_and:  # decided, as in Python
                break
        return _bool(result)

    def _compare(self, node: ast.Compare) -> object:
        left, result = self.visit(node.left), np.True_
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            holds = _arith(_COMPARE[type(op)], left, right)
            _check_size(math.prod(_broadcast_shape(result, holds)))
            result = np.logical_and(result, holds)
            if np.ndim(result) == 0 and not result:
                break
            left = right
        return _bool(result)

    def _ifexp(self, node: ast.IfExp) -> object:
        test = _truth(self.visit(node.test))
        if np.ndim(test) == 0:
            return self.visit(node.body if test else node.orelse)
        return _arith(np.where, test, self.visit(node.body), self.visit(node.orelse))

    def _subscript(self, node: ast.Subscript) -> object:
        target = self.visit(node.value)
        if np.ndim(target) == 0:
            raise self.error("only a list can be indexed, not a single number", node)
        arr, index = np.asarray(target), self.visit(node.slice)
        try:
            index = _whole(index, "an index")
        except ValueError as exc:
            raise self.error(str(exc), node.slice) from None
        if not -len(arr) <= index < len(arr):
            raise self.error(f"index {index} is out of range for a list of length {len(arr)}", node.slice)
        return arr[index]

    def _list(self, node: ast.List | ast.Tuple) -> np.ndarray:
        items = [self.visit(item) for item in node.elts]
        if len({np.shape(item) for item in items}) > 1:
            raise self.error("the items of a list must all have the same shape", node)
        _check_size(len(items) * (np.size(items[0]) if items else 0))
        return np.array(items, dtype=np.float64)

    def _call(self, node: ast.Call) -> object:
        name = node.func.id
        args = [self.visit(arg) for arg in node.args]
        try:
            _check_size(math.prod(result_shape(name, args)))  # before the function allocates anything
            return FUNCTIONS[name](*args)
        except FormulaError:
            raise
        except (ValueError, TypeError, ArithmeticError, IndexError) as exc:
            raise self.error(f"{name}(): {exc}", node) from None


def parse(source: str, *, max_length: int = 1000, max_depth: int = 30, max_nodes: int = 400) -> Formula:
    """Read and check ``source``; raise FormulaError (with ``offset`` where known) if it is not allowed.

    Bounds: at most ``max_length`` characters, ``max_nodes`` parts (numbers, names, operations...) and
    ``max_depth`` levels of nesting. Names cannot be checked here (see ``Formula.check_names``).
    Formulas are immutable, so a parsed one is cached and shared (lessons evaluate the same few often).
    """
    if not isinstance(source, str):
        raise FormulaError(f"a formula must be text, got {type(source).__name__}")
    return _parse(source, max_length, max_depth, max_nodes)


@functools.lru_cache(maxsize=4096)
def _parse(source: str, max_length: int, max_depth: int, max_nodes: int) -> Formula:
    if len(source) > max_length:
        raise FormulaError(f"the formula is too long ({len(source)} characters, at most {max_length})", source)
    if not source.strip():
        raise FormulaError("the formula is empty", source, 0)
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning for a string's escapes; strings are refused anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(_readable(source), mode="eval")
    except SyntaxError as exc:
        offset = _source_offset(source, exc.lineno or 1, (exc.offset or 1) - 1, col_in_bytes=False)
        raise FormulaError(f"could not read {_quote(source)}: {exc.msg}", source, offset) from None
    except (ValueError, RecursionError, MemoryError, OverflowError):
        raise FormulaError(f"could not read {_quote(source)}: it is too complex", source) from None

    names: set[str] = set()
    functions: set[str] = set()
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_nodes:
            raise FormulaError(f"the formula has too many parts (more than {max_nodes})", source)
        if depth > max_depth:
            message = f"the formula is nested too deeply (more than {max_depth} levels)"
            raise FormulaError(message, source, _node_offset(source, node))
        problem, children = _check_node(node)
        if problem:
            raise FormulaError(problem, source, _node_offset(source, node))
        if isinstance(node, ast.Name) and node.id not in CONSTANTS:
            names.add(node.id)
        elif isinstance(node, ast.Call):
            functions.add(node.func.id)
        stack.extend((child, depth + 1) for child in reversed(children))
    return Formula(source, frozenset(names), frozenset(functions), tree)


def evaluate(source: str, env: Mapping[str, object] | None = None) -> object:
    """Parse and evaluate ``source`` in one go (see ``parse`` and ``Formula.evaluate``)."""
    return parse(source).evaluate(env)
