"""What the app knows once it has loaded: the lesson catalog, the progress store and the quiz seed.

:func:`load_lessons` runs in a worker thread after the first frame and imports only what the lesson list
needs; :func:`warm_lessons` imports the rest (numpy, plotext, the player) in another once the list is shown. Lessons are read from the lesson cache; those not in it yet are
validated by a child process, so that YAML and pydantic never enter the app.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.lessons.files import LessonFile
    from ce_tutor.lessons.player import LessonRun
    from ce_tutor.progress import LessonProgress, ProgressStore
    from ce_tutor.tui import AppOptions


@dataclass(frozen=True)
class LessonStatus:
    """One row of the lesson browser."""

    number: int
    file: LessonFile
    progress: LessonProgress | None
    next_up: bool
    missing: tuple[str, ...]  # ids of required lessons not done yet
    missing_titles: tuple[str, ...] = ()  # their titles, as a learner reads them

    @property
    def id(self) -> str:
        return self.file.lesson.id

    @property
    def title(self) -> str:
        return self.file.lesson.title

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.complete

    @property
    def percent(self) -> int:
        return self.progress.percent if self.progress is not None else 0


@dataclass
class Library:
    """The loaded lessons and the learner's progress."""

    catalog: Catalog
    store: ProgressStore | None
    seed: int
    store_error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def statuses(self) -> list[LessonStatus]:
        """Every lesson in curriculum order, with its progress, "next up" and unmet prerequisites."""
        saved = self.store.lessons() if self.store is not None else {}
        done = {lesson_id for lesson_id, p in saved.items() if p.complete}
        rows: list[LessonStatus] = []
        next_found = False
        for number, lf in enumerate(self.catalog.lessons, 1):
            lesson = lf.lesson
            missing = tuple(r for r in lesson.requires if r not in done)
            is_next = not next_found and lesson.id not in done and not missing
            next_found = next_found or is_next
            titles = tuple(self.title(r) for r in missing)
            rows.append(LessonStatus(number, lf, saved.get(lesson.id), is_next, missing, titles))
        return rows

    def title(self, lesson_id: str) -> str:
        lf = self.catalog.get(lesson_id)
        return lf.lesson.title if lf is not None else lesson_id

    def resumable(self) -> tuple[LessonFile, LessonProgress] | None:
        """The lesson last worked on, if it is unfinished and still in the catalog."""
        if self.store is None:
            return None
        last = self.store.last_lesson()
        if last is None or last.complete:
            return None
        lf = self.catalog.get(last.lesson_id)
        return None if lf is None else (lf, last)

    def start(self, lesson_id: str) -> LessonRun:
        """A run of one lesson, resuming where the learner left it. Raises KeyError for an unknown id."""
        from ce_tutor.lessons.catalog import lesson_env
        from ce_tutor.lessons.player import LessonRun

        lf = self.catalog.get(lesson_id)
        if lf is None:
            raise KeyError(lesson_id)
        return LessonRun(lf.lesson, lesson_env(lf), store=self.store, learner_seed=self.seed)

    def due_count(self) -> int:
        """How many review cards are due now (one SQL count: py-fsrs is not needed for it)."""
        return self.store.due_count() if self.store is not None else 0

    def reset(self, lesson_id: str | None) -> None:
        if self.store is not None:
            self.store.reset(lesson_id)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def read_catalog(options: AppOptions) -> Catalog:
    """The lesson catalog, from the lesson cache."""
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import load_catalog
    from ce_tutor.progress import default_cache_dir

    # Lessons not cached yet are validated in a child process: YAML and pydantic would add 11 MiB to the
    # app's peak RSS for the rest of the session.
    cache = LessonCache(default_cache_dir(options.data_dir), validate_in_child=True)
    return load_catalog(options.lesson_dirs, cache)


def load_lessons(options: AppOptions, catalog: Catalog | None = None) -> Catalog:
    """The lesson catalog, unless it was read already (in a worker thread). Only what the lesson list
    needs is imported: no numpy, no plotext, no player (see :func:`warm_lessons`)."""
    return catalog if catalog is not None else read_catalog(options)


def warm_lessons(catalog: Catalog) -> None:
    """Import what a lesson needs and compute each lesson's values (in a worker thread, once the list is
    shown), so that a lesson opens at once. A lesson whose values fail is left to report it when opened."""
    import ce_tutor.tui.screens.player  # noqa: F401 - numpy, plotext, Markdown and the step widgets
    from ce_tutor.lessons.catalog import lesson_env
    from ce_tutor.lessons.problems import LessonLoadError

    for lf in catalog.lessons:
        try:
            lesson_env(lf)
        except LessonLoadError:
            pass


def open_library(catalog: Catalog, options: AppOptions) -> Library:
    """Open the progress store (on the app's thread: a store is used from the thread that opened it)."""
    from ce_tutor.progress import ProgressError, ProgressStore

    store: ProgressStore | None = None
    error: str | None = None
    try:
        store = ProgressStore(options.data_dir)
    except ProgressError as exc:
        error = str(exc)
    if options.seed is not None:
        seed = options.seed
    elif store is not None:
        seed = store.learner_seed
    else:
        seed = secrets.randbits(32)
    return Library(catalog, store, seed, error, list(store.warnings) if store else [])
