"""Computing a lesson's named values at run time, with failures that say which value failed and where."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ce_tutor import formula
from ce_tutor.lessons import values
from ce_tutor.lessons.files import LessonFile
from ce_tutor.lessons.problems import LessonLoadError, Problem


#: The work computing a lesson's values may do in all (on top of each formula's own deadline).
VALUES_BUDGET_S = 2.0
VALUES_BUDGET_OUTPUT = 1_000_000

_ENVS: WeakKeyDictionary[LessonFile, dict[str, object]] = WeakKeyDictionary()
_FAILED: WeakKeyDictionary[LessonFile, list[Problem]] = WeakKeyDictionary()


def lesson_env(lf: LessonFile) -> dict[str, object]:
    """The lesson's computed ``values`` (computed once per file, a failure too; a fresh dict each call).

    Raises LessonLoadError with the ``file:line`` of the value that cannot be computed.
    """
    if lf not in _ENVS:
        if lf in _FAILED:
            raise LessonLoadError(_FAILED[lf])
        budget = formula.Budget(VALUES_BUDGET_S, VALUES_BUDGET_OUTPUT, "this lesson's values")
        try:
            with budget:
                _ENVS[lf] = values.compute(lf.lesson.values, {})
        except values.ComputeError as exc:
            problem = Problem(str(lf.path), lf.line_of("values", exc.name), f"values.{exc.name}: {exc.reason}")
            _FAILED[lf] = [problem]
            raise LessonLoadError([problem]) from None
        except formula.WorkLimitExceeded as exc:
            if exc.budget is not budget:
                raise
            _FAILED[lf] = [Problem(str(lf.path), lf.line_of("values"), f"values: {exc}")]
            raise LessonLoadError(_FAILED[lf]) from None
    return dict(_ENVS[lf])


def env_known(lf: LessonFile) -> bool:
    """Whether :func:`lesson_env` of ``lf`` is computed already (or known to fail): asking is then cheap."""
    return lf in _ENVS or lf in _FAILED
