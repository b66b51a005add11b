"""The lesson catalog: where lessons are found, loading them all, and putting them in curriculum order.

Lessons come from the shipped folder, then each folder of ``CE_TUTOR_LESSONS`` (separated like ``PATH``),
then each ``--lessons DIR``. A bad file never stops the others from loading: its problems are collected.

Importing this module is light (no YAML, pydantic or numpy until lessons are loaded), so the app can find
its lesson folders at once and load them in the background.
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ce_tutor.lessons.problems import LessonLoadError, Problem

if TYPE_CHECKING:
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.files import LessonFile

ENV_VAR = "CE_TUTOR_LESSONS"
SUFFIXES = (".yaml", ".yml")


def shipped_lessons_dir() -> Path:
    """The lessons that come with ce-tutor: ``ce_tutor/_lessons`` in a wheel, ``<repo>/lessons`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_lessons"
    return installed if installed.is_dir() else package.parents[1] / "lessons"


def lesson_dirs(extra: Iterable[str | Path] = (), environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The shipped folder, the folders in ``CE_TUTOR_LESSONS``, then ``extra``; each once, in that order."""
    listed = [p for p in environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    found: dict[Path, Path] = {}
    for path in [shipped_lessons_dir(), *map(Path, listed), *map(Path, extra)]:
        path = path.expanduser()
        found.setdefault(resolved(path), path)
    return list(found.values())


def resolved(path: str | Path) -> Path:
    """``path`` made absolute with its symbolic links followed as far as they go. Never raises: a link that
    loops is left as it is (:func:`lesson_files` reports it)."""
    return Path(os.path.realpath(path))


@dataclass(frozen=True)
class Catalog:
    """The lessons that loaded, in curriculum order, and every problem found on the way."""

    lessons: list[LessonFile]
    problems: list[Problem]

    def get(self, lesson_id: str) -> LessonFile | None:
        return next((lf for lf in self.lessons if lf.lesson.id == lesson_id), None)

    def ids(self) -> list[str]:
        return [lf.lesson.id for lf in self.lessons]

    def no_such_lesson(self, lesson_id: str) -> str:
        """What to say of a lesson id that is not in the catalog: the closest id, if one is close, and all."""
        return no_such_lesson(lesson_id, self.ids())


def no_such_lesson(lesson_id: str, ids: list[str]) -> str:
    """What to say of a lesson id that is not among ``ids``: the closest id, if one is close, and all."""
    close = difflib.get_close_matches(lesson_id, ids, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"no lesson '{lesson_id}'.{hint} Lessons: {', '.join(ids) or 'none'}."


def load_catalog(paths: Sequence[Path], cache: LessonCache | None = None) -> Catalog:
    """Load the lesson files in ``paths`` (folders: their ``*.yaml``/``*.yml`` by name; or single files).

    Never raises for a bad file or folder: problems are collected. A lesson whose id is already taken is
    left out; unknown or cyclic ``requires`` are reported and otherwise ignored for the order.
    With a ``cache``, files validated before are taken from it, without YAML or pydantic.
    """
    files, problems = lesson_files(paths)
    if cache is not None:
        cache.prepare(files)
        load = cache.load
    else:
        from ce_tutor.lessons.loader import load_lesson as load  # the heavy part: YAML and pydantic
    loaded: list[LessonFile] = []
    for file in files:
        try:
            loaded.append(load(file))
        except LessonLoadError as exc:
            problems += exc.problems
    if cache is not None:
        cache.tidy()
    lessons = _unique_lessons(loaded, problems)
    _check_quiz_ids(lessons, problems)
    return Catalog(_curriculum(lessons, problems), problems)


def lesson_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The lesson files in ``paths`` (folders expanded, each file once), and the paths that do not work.

    A symbolic link that loops (or leads nowhere), given or found in a folder, is skipped with a problem;
    whether a file is a regular file is checked when it is read (:func:`ce_tutor.lessons.files.read_bytes`).
    """
    problems: list[Problem] = []
    files: dict[Path, Path] = {}
    for path in map(Path, paths):
        try:
            if path.is_dir():
                found = sorted((f for f in path.iterdir() if f.suffix in SUFFIXES), key=lambda f: f.name)
            elif path.exists():
                found = [path]
            else:
                problems.append(Problem(str(path), None, _missing(path, "file or folder")))
                continue
        except OSError as exc:
            problems.append(Problem(str(path), None, f"cannot read the folder: {exc.strerror or exc}"))
            continue
        for file in found:
            if file.is_symlink() and not file.exists():
                problems.append(Problem(str(file), None, _missing(file, "file")))
                continue
            files.setdefault(resolved(file), file)
    return list(files.values()), problems


def _missing(path: Path, what: str) -> str:
    """Why ``path``, which does not exist, is skipped: a link that loops, a link to nothing, or nothing."""
    if not path.is_symlink():
        return f"no such {what}"
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that loops back on itself"
    return "a symbolic link to a file or folder that does not exist"


def _at(lf: LessonFile, *path: str | int) -> str:
    return f"{lf.path}:{lf.line_of(*path)}"


def _unique_lessons(loaded: list[LessonFile], problems: list[Problem]) -> list[LessonFile]:
    first: dict[str, LessonFile] = {}
    for lf in loaded:
        other = first.setdefault(lf.lesson.id, lf)
        if other is not lf:
            message = f"lesson id '{lf.lesson.id}' is already used by {_at(other, 'id')}; this file is skipped"
            problems.append(Problem(str(lf.path), lf.line_of("id"), message))
    return list(first.values())


def _check_quiz_ids(lessons: list[LessonFile], problems: list[Problem]) -> None:
    from ce_tutor.lessons.schema import QuizStep

    first: dict[str, str] = {}
    for lf in lessons:
        for i, step in enumerate(lf.lesson.steps):
            if isinstance(step, QuizStep):
                where = _at(lf, "steps", i, "id")
                other = first.setdefault(step.id, where)
                if other != where:
                    message = f"quiz id '{step.id}' is already used at {other}"
                    problems.append(Problem(str(lf.path), lf.line_of("steps", i, "id"), message))


def _curriculum(lessons: list[LessonFile], problems: list[Problem]) -> list[LessonFile]:
    """Order lessons so that each comes after what it requires; otherwise keep the order they were found."""
    by_id = {lf.lesson.id: lf for lf in lessons}
    needs: dict[str, list[str]] = {}
    for lf in lessons:
        needs[lf.lesson.id] = []
        for i, required in enumerate(lf.lesson.requires):
            if required in by_id:
                needs[lf.lesson.id].append(required)
                continue
            close = difflib.get_close_matches(required, list(by_id), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            message = f"requires unknown lesson '{required}'{hint}"
            problems.append(Problem(str(lf.path), lf.line_of("requires", i), message))
    placed: dict[str, None] = {}  # an ordered set
    pending = list(by_id)
    while pending:
        ready = next((i for i in pending if all(r in placed for r in needs[i])), None)
        if ready is None:  # every pending lesson waits on another: there is a cycle; break it at its first lesson
            cycle = _cycle(pending, needs, placed)
            ready = cycle[0]
            lf = by_id[ready]
            shown = " → ".join([*cycle, ready])
            line = lf.line_of("requires", lf.lesson.requires.index(cycle[1 % len(cycle)]))
            problems.append(Problem(str(lf.path), line, f"requires form a cycle: {shown}"))
        placed[ready] = None
        pending.remove(ready)
    return [by_id[i] for i in placed]


def _cycle(pending: list[str], needs: Mapping[str, list[str]], placed: Mapping[str, None]) -> list[str]:
    """A cycle among the pending lessons, starting at the one found first."""
    path = [pending[0]]
    while (step := next(r for r in needs[path[-1]] if r not in placed)) not in path:
        path.append(step)
    cycle = path[path.index(step):]
    start = min(cycle, key=pending.index)
    return cycle[cycle.index(start):] + cycle[: cycle.index(start)]


def lesson_env(lf: LessonFile) -> dict[str, object]:
    """The lesson's computed values: :func:`ce_tutor.lessons.runtime.lesson_env`, imported when first needed."""
    from ce_tutor.lessons.runtime import lesson_env as compute

    return compute(lf)
