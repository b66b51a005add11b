"""Computing a lesson's named values at run time, with failures that say which value failed and where."""

from __future__ import annotations

from collections.abc import Mapping
from weakref import WeakKeyDictionary

from ce_tutor import formula
from ce_tutor.lessons import values
from ce_tutor.lessons.loader import LessonFile
from ce_tutor.lessons.problems import LessonLoadError, Problem
from ce_tutor.lessons.schema import DerivedSpec


class ValueFailure(formula.FormulaError):
    """A named value that cannot be computed; ``name`` says which (the message does not repeat it)."""

    def __init__(self, name: str, error: formula.FormulaError) -> None:
        super().__init__(str(error).removeprefix(f"{name}: "), error.source, error.offset)
        self.name = name


def compute_each(specs: Mapping[str, DerivedSpec], env: Mapping[str, object]) -> dict[str, object]:
    """``values.compute``, one value at a time, so that a failure names its value (raises ValueFailure)."""
    scope = dict(env)
    for name, spec in specs.items():
        try:
            scope = values.compute({name: spec}, scope)
        except formula.FormulaError as exc:
            raise ValueFailure(name, exc) from None
    return scope


_ENVS: WeakKeyDictionary[LessonFile, dict[str, object]] = WeakKeyDictionary()


def lesson_env(lf: LessonFile) -> dict[str, object]:
    """The lesson's computed ``values`` (computed once per file; a fresh dict each call).

    Raises LessonLoadError with the ``file:line`` of the value that cannot be computed.
    """
    if lf not in _ENVS:
        try:
            _ENVS[lf] = compute_each(lf.lesson.values, {})
        except ValueFailure as exc:
            problem = Problem(str(lf.path), lf.line_of("values", exc.name), f"values.{exc.name}: {exc}")
            raise LessonLoadError([problem]) from None
    return dict(_ENVS[lf])
