"""Sizes are bounded before anything is allocated: every result's shape is known from its operands first.

The 10,000-value limit used to be checked on the finished array, after numpy had built it: ``max`` of
several arguments, ``and``/``or`` chains, comparison chains, ``clip`` and broadcasting could allocate
gigabytes first. These tests measure, with tracemalloc (numpy reports its allocations to it), that a
refused formula never allocates more than a few of its own operands.
"""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from ce_tutor import formula
from ce_tutor.formula import FUNCTIONS, FormulaError, result_shape

#: Operands of at most 10,000 values each whose broadcast holds 10**8: (10, 1000) against (10, 10, 10, 10, 1, 1).
WIDE = np.zeros((10, 1000))
TALL = np.zeros((10, 10, 10, 10, 1, 1))
ENV = {"a": WIDE, "g": TALL, "y": np.zeros(10, dtype=int)}
OPERAND_BYTES = WIDE.nbytes + TALL.nbytes


@pytest.mark.parametrize(
    "source",
    [
        "max(a, g)", "min(a, a, g)", "max(a, 1, g)", "clip(a, g, 1)", "clip(g, 0, a)", "a + g", "a * g - 1",
        "a > g", "a == g", "a < 1 < g", "0 <= a <= g", "a or g", "a and g", "g or a or 1", "not a or g",
        "a if g else 0", "(a > 0) if g > 0 else 1", "bce(clip(a, 0, 1), clip(g, 0, 1))", "bce_logits(a, g)",
        "onehot(y, 1000) + g", "smooth_labels(y, 1000, 0.1) * g", "[a, g]", "round(a + g, 2)",
    ],
)
def test_a_formula_that_would_be_huge_is_refused_before_it_is_built(source: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FormulaError) as info:
            formula.parse(source).evaluate(ENV)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "at most 10000" in str(info.value) or "same shape" in str(info.value)
    assert peak < 4 * OPERAND_BYTES + 1_000_000  # 10**8 float64 would be 800 MB


def test_a_refused_call_names_the_function_and_the_size() -> None:
    with pytest.raises(FormulaError, match=r"max\(\): that makes 100000000 values; a formula may use at most 10000"):
        formula.parse("max(a, g)").evaluate(ENV)


def test_results_at_the_limit_are_still_computed() -> None:
    row = np.arange(100.0)
    assert formula.evaluate("max(r, c)", {"r": row, "c": row[:, None]}).shape == (100, 100)
    assert formula.evaluate("r < c or c > 50", {"r": row, "c": row[:, None]}).shape == (100, 100)
    assert formula.evaluate("clip(r, c, 200)", {"r": row, "c": row[:, None]}).shape == (100, 100)


# -- every function's shape rule is true ------------------------------------------------------------------
_POOL: list[object] = [
    0.5, 1.0, 0.0, 2.0,
    np.array([0.2, 0.3, 0.5]), np.array([0.0, 1.0]), np.array([1.0, 2.0, 0.0]),
    np.array([[0.2, 0.8], [0.5, 0.5]]), np.array([[0.1, 0.2, 0.7]]), np.array([[0.1], [0.2]]),
    np.array([0, 1]), np.array(1),
]
_SLOW = {"iris_descent_b3": [(0.5, 0.1, 1.0), (np.array([0.0, 1.0]), 0.1, 2.0), (0.0, np.array([[0.1], [0.2]]), 1.0)]}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_a_true_shape_rule(name: str) -> None:
    """For every function and many argument shapes: the declared shape is the shape the function returns.

    A new function that is not elementwise needs a rule in ``formula._SHAPES``; this test finds a missing
    or wrong one.
    """
    lo, hi = formula._ARITY[name]
    arities = range(lo, (hi if hi is not None else lo + 2) + 1)
    cases = _SLOW.get(name) or [args for n in arities for args in itertools.product(_POOL, repeat=n)]
    computed = 0
    for args in cases:
        try:
            result = FUNCTIONS[name](*args)
        except (ValueError, TypeError, IndexError, FormulaError):
            continue
        computed += 1
        assert np.shape(result) == result_shape(name, args), (name, [np.shape(a) for a in args])
    assert computed >= 1, f"no sample arguments suit {name}(); add some to _POOL"


def test_functions_build_no_intermediate_bigger_than_their_result() -> None:
    """The sum of squared residuals over 10,000 classes used to build a 10,000 x 10,000 identity matrix."""
    p = np.full(10_000, 1e-4)
    tracemalloc.start()
    try:
        formula.evaluate("ssr(p, 3) + sum(onehot(3, 1000))", {"p": p})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * p.nbytes
