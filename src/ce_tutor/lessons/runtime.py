"""Computing a lesson's named values at run time, with failures that say which value failed and where."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ce_tutor.lessons import values
from ce_tutor.lessons.files import LessonFile
from ce_tutor.lessons.problems import LessonLoadError, Problem


_ENVS: WeakKeyDictionary[LessonFile, dict[str, object]] = WeakKeyDictionary()


def lesson_env(lf: LessonFile) -> dict[str, object]:
    """The lesson's computed ``values`` (computed once per file; a fresh dict each call).

    Raises LessonLoadError with the ``file:line`` of the value that cannot be computed.
    """
    if lf not in _ENVS:
        try:
            _ENVS[lf] = values.compute(lf.lesson.values, {})
        except values.ComputeError as exc:
            problem = Problem(str(lf.path), lf.line_of("values", exc.name), f"values.{exc.name}: {exc.reason}")
            raise LessonLoadError([problem]) from None
    return dict(_ENVS[lf])
