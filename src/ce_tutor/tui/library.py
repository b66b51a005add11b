"""What the app knows once it has loaded: the lesson list, the progress store, the quiz seed, and the lessons.

At a start with nothing changed, :func:`quick_library` gives the lesson list from the catalog index
(:mod:`ce_tutor.lessons.index`: no lesson file read, no schema, no numpy) and the learner's progress, before
the first frame, so that the first frame is the interactive list. Once the list is shown, a worker imports
numpy, plotext and the player (:func:`warm_player`), then loads the lessons themselves (:func:`read_catalog`;
a lesson chosen meanwhile is taken alone from the cache: :meth:`Library.lesson_file`) and computes their
values (:func:`warm_lessons`). When the index is missing or stale (a lesson file changed), the catalog is read first, in a
worker after a "Loading lessons…" frame. Lessons are read from the lesson cache; those not in it yet are
validated by a child process, so that YAML and pydantic never enter the app.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.lessons.files import LessonFile
    from ce_tutor.lessons.index import CatalogIndex, LessonSummary
    from ce_tutor.lessons.player import LessonRun
    from ce_tutor.progress import LessonProgress, ProgressStore
    from ce_tutor.tui import AppOptions


@dataclass(frozen=True)
class LessonStatus:
    """One row of the lesson browser."""

    number: int
    lesson: LessonSummary
    progress: LessonProgress | None
    next_up: bool
    missing: tuple[str, ...]  # ids of required lessons not done yet
    missing_titles: tuple[str, ...] = ()  # their titles, as a learner reads them

    @property
    def id(self) -> str:
        return self.lesson.id

    @property
    def title(self) -> str:
        return self.lesson.title

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.complete

    @property
    def percent(self) -> int:
        return self.progress.percent if self.progress is not None else 0


@dataclass
class Library:
    """The lesson list, the learner's progress, and (once loaded) the lessons."""

    index: CatalogIndex
    store: ProgressStore | None
    seed: int
    store_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: The lessons themselves: None until loaded (in the background when the list came from the index).
    catalog: Catalog | None = None
    #: The lesson cache, from which a lesson is taken alone while the catalog loads.
    cache_dir: Path | None = None
    _alone: dict[str, LessonFile] = field(default_factory=dict, repr=False)

    def attach(self, catalog: Catalog) -> bool:
        """The lessons have loaded; whether the list they make differs from the one shown (a file changed
        between the index's check and the loading)."""
        from ce_tutor.lessons.index import summarize

        index = summarize(catalog)
        changed = index != self.index
        self.catalog, self.index = catalog, index
        self._alone.clear()
        return changed

    def lesson_file(self, lesson_id: str) -> LessonFile | None:
        """One lesson: from the catalog, or while it loads, alone from the lesson cache (None if the cache
        does not have it: then it must wait for the catalog, which validates what the cache lacks)."""
        if self.catalog is not None:
            return self.catalog.get(lesson_id)
        if lesson_id not in self._alone:
            summary = self.index.get(lesson_id)
            if summary is None or self.cache_dir is None:
                return None
            from ce_tutor.lessons.cache import LessonCache

            lf = LessonCache(self.cache_dir).cached(Path(summary.path))
            if lf is None or lf.lesson.id != lesson_id:
                return None
            self._alone[lesson_id] = lf
        return self._alone[lesson_id]

    def statuses(self) -> list[LessonStatus]:
        """Every lesson in curriculum order, with its progress, "next up" and unmet prerequisites."""
        saved = self.store.lessons() if self.store is not None else {}
        done = {lesson_id for lesson_id, p in saved.items() if p.complete}
        rows: list[LessonStatus] = []
        next_found = False
        for number, lesson in enumerate(self.index.lessons, 1):
            missing = tuple(r for r in lesson.requires if r not in done)
            is_next = not next_found and lesson.id not in done and not missing
            next_found = next_found or is_next
            titles = tuple(self.title(r) for r in missing)
            rows.append(LessonStatus(number, lesson, saved.get(lesson.id), is_next, missing, titles))
        return rows

    def title(self, lesson_id: str) -> str:
        lesson = self.index.get(lesson_id)
        return lesson.title if lesson is not None else lesson_id

    def resumable(self) -> tuple[LessonSummary, LessonProgress] | None:
        """The lesson last worked on, if it is unfinished and still in the catalog."""
        if self.store is None:
            return None
        last = self.store.last_lesson()
        if last is None or last.complete:
            return None
        lesson = self.index.get(last.lesson_id)
        return None if lesson is None else (lesson, last)

    def start(self, lesson_id: str) -> LessonRun:
        """A run of one lesson, resuming where the learner left it. Raises KeyError for an unknown id (or
        one not available yet: :meth:`lesson_file`)."""
        from ce_tutor.lessons.catalog import lesson_env
        from ce_tutor.lessons.player import LessonRun

        lf = self.lesson_file(lesson_id)
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


def _where(options: AppOptions) -> tuple[Path, list[Path]]:
    """The lesson cache's folder and the lesson folders."""
    from ce_tutor.progress import default_cache_dir

    return default_cache_dir(options.data_dir), options.lesson_dirs


def read_catalog(options: AppOptions, shown: CatalogIndex | None = None) -> Catalog:
    """The lesson catalog, from the lesson cache; its index is written for the next start (unless it is
    ``shown``, the index read at this start)."""
    from ce_tutor.lessons.index import load_indexed

    # Lessons not cached yet are validated in a child process: YAML and pydantic would add 11 MiB to the
    # app's peak RSS for the rest of the session.
    return load_indexed(*_where(options), validate_in_child=True, shown=shown)


def quick_library(options: AppOptions, catalog: Catalog | None = None) -> Library | None:
    """The library at once (before the first frame), if the lesson list is known without loading lessons:
    from ``catalog`` if given, else from the catalog index if it is up to date; else None."""
    from ce_tutor.lessons.index import read_index, summarize

    if catalog is not None:
        return open_library(summarize(catalog), options, catalog)
    index = read_index(*_where(options))
    return open_library(index, options) if index is not None else None


def load_lessons(options: AppOptions, catalog: Catalog | None = None) -> Catalog:
    """The lesson catalog, unless it was read already (in a worker thread). Only what the lesson list
    needs is imported: no numpy, no plotext, no player (see :func:`warm_player`)."""
    return catalog if catalog is not None else read_catalog(options)


def warm_player(library: Library, wanted: str | None = None) -> None:
    """Import what a lesson needs (numpy, plotext, Markdown, the step widgets) and compute the values of the
    lesson ``wanted`` (chosen already), or of the one the learner is most likely to open (in a worker
    thread, once the list is shown)."""
    import ce_tutor.tui.screens.player  # noqa: F401

    statuses = library.statuses()
    likely = wanted or next((s.id for s in statuses if s.next_up), statuses[0].id if statuses else None)
    lf = library.lesson_file(likely) if likely is not None else None
    if lf is not None:
        warm_lessons([lf])


def warm_lessons(lessons: Iterable[LessonFile]) -> None:
    """Compute each lesson's values (in a worker thread), so that a lesson opens at once. A lesson whose
    values fail is left to report it when opened."""
    from ce_tutor.lessons.catalog import lesson_env
    from ce_tutor.lessons.problems import LessonLoadError

    for lf in lessons:
        try:
            lesson_env(lf)
        except LessonLoadError:
            pass


def open_library(index: CatalogIndex, options: AppOptions, catalog: Catalog | None = None) -> Library:
    """Open the progress store (on the app's thread, before the list is shown)."""
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
    return Library(index, store, seed, error, list(store.warnings) if store else [], catalog,
                   _where(options)[0])
