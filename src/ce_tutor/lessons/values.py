"""Computing named values (a lesson's ``values``, an explorer's or a quiz's ``derived``) in order."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ce_tutor import formula
from ce_tutor.lessons.schema import Derived, DerivedSpec


class ComputeError(formula.FormulaError):
    """A named value that cannot be computed. The message is ``"name: reason"``; ``name`` and ``reason``
    are also kept apart, so callers can say where the value stands in the file."""

    def __init__(self, name: str, error: formula.FormulaError) -> None:
        super().__init__(f"{name}: {error}", error.source, error.offset)
        self.name = name
        self.reason = str(error)


def compute(specs: Mapping[str, DerivedSpec], env: Mapping[str, object]) -> dict[str, object]:
    """Evaluate ``specs`` in order, each seeing ``env`` and the values before it; return env + new values.

    A :class:`Derived` with ``round`` is rounded right away, so later values (and the answer) are computed
    from the number as it is shown.
    """
    scope = dict(env)
    for name, spec in specs.items():
        source, decimals = (spec.formula, spec.round) if isinstance(spec, Derived) else (spec, None)
        try:
            value = formula.parse(source).evaluate(scope)
        except formula.FormulaError as exc:
            raise ComputeError(name, exc) from None
        if decimals is not None:
            value = round_value(value, decimals)
        scope[name] = value
    return scope


def round_value(value: object, decimals: int) -> object:
    """Round to ``decimals`` places (half to even, as numpy does); floats stay floats."""
    rounded = np.round(np.asarray(value, dtype=np.float64), decimals) + 0.0  # + 0.0 drops -0.0
    return float(rounded) if rounded.ndim == 0 else rounded
