"""A review of the due cards, and the cards that lessons create.

Both front ends drive a :class:`Review`: one due quiz at a time, each in a
:class:`~ce_tutor.quiz.QuizSession` with a fresh variant (:mod:`ce_tutor.review.fresh`), so grading, hints,
misconception feedback and the worked solution are the lessons' own. A card is rated (and its new schedule
saved, with its log entry) the moment its quiz is finished (solved, or the worked solution shown), or when
the learner skips it; a card left unfinished when the review ends stays due.

Lessons create cards through :func:`meet_in_lesson`: the first time a learner meets a quiz (answers it,
sees its solution, or moves on past it), its card is made and rated from what they did. Later meetings in
lessons are practice and leave the schedule alone; only reviews move it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ce_tutor import clock
from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz.session import Outcome, QuizSession

if TYPE_CHECKING:
    from fsrs import Rating

    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.lessons.files import LessonFile
    from ce_tutor.progress import ProgressStore, ReviewCard

#: The outcome of a quiz moved on from without being finished.
SKIPPED = Outcome(solved=False, tries=0, hints=0, revealed=False, seconds=None)


def usual_seconds_for(store: ProgressStore, lesson_id: str, quiz_id: str) -> float | None:
    """The learner's usual solving time on a quiz, from its review log (see :mod:`ce_tutor.review.rating`)."""
    from ce_tutor.review.rating import usual_seconds

    return usual_seconds(e.duration_ms / 1000 for e in store.review_log(lesson_id, quiz_id) if e.duration_ms)


def rate_and_save(
    store: ProgressStore,
    card: ReviewCard | None,
    lesson_id: str,
    quiz_id: str,
    outcome: Outcome,
    *,
    seed: int,
    source: str,
    now: datetime | None = None,
) -> tuple[ReviewCard, Rating]:
    """Rate ``outcome``, review ``card`` (a new card if None) with it, and save the card and its log entry."""
    from ce_tutor.review.rating import rate
    from ce_tutor.review.schedule import new_card, review

    now = now or clock.now()
    rating = rate(outcome, usual_seconds_for(store, lesson_id, quiz_id))
    if card is None:
        card = new_card(lesson_id, quiz_id, now)
    duration = None if outcome.seconds is None else max(0, round(outcome.seconds * 1000))
    updated, entry = review(card, rating, now, seed=seed, source=source, duration_ms=duration)
    store.save_review(updated, entry)
    return updated, rating


def meet_in_lesson(store: ProgressStore, lesson_id: str, quiz_id: str, outcome: Outcome, seed: int) -> bool:
    """A learner met a quiz in a lesson: create and rate its card if it has none. Whether a card was made."""
    if store.review_card(lesson_id, quiz_id) is not None:
        return False
    from ce_tutor.review.schedule import LESSON

    rate_and_save(store, None, lesson_id, quiz_id, outcome, seed=seed, source=LESSON)
    return True


@dataclass(frozen=True)
class DueQuiz:
    """One due card with the lesson and quiz it reviews."""

    card: ReviewCard
    file: LessonFile
    step: QuizStep

    @property
    def lesson_id(self) -> str:
        return self.card.lesson_id

    @property
    def quiz_id(self) -> str:
        return self.card.quiz_id

    @property
    def title(self) -> str:
        """"Lesson title: quiz title" (the quiz id when it has no title)."""
        return f"{self.file.lesson.title}: {self.step.title or self.step.id}"


@dataclass(frozen=True)
class Unavailable:
    """A due card whose lesson or quiz is no longer in the catalog (it is left as it is)."""

    card: ReviewCard
    reason: str


class Review:
    """The cards due at ``now``, soonest due first, one at a time.

    ``position`` is 0-based; :attr:`label` ("3 of 7 due") is for people. Store errors
    (:class:`~ce_tutor.progress.ProgressError`) and a quiz that cannot be drawn
    (:class:`~ce_tutor.quiz.VariantError`, :class:`~ce_tutor.lessons.problems.LessonLoadError`) propagate.
    """

    def __init__(
        self,
        store: ProgressStore,
        catalog: Catalog,
        learner_seed: int,
        *,
        now: datetime | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.store = store
        self.learner_seed = learner_seed
        self.max_attempts = max_attempts
        now = now or clock.now()
        self.items: list[DueQuiz] = []
        self.unavailable: list[Unavailable] = []
        for card in store.review_cards():
            if card.due > now:
                continue
            lf = catalog.get(card.lesson_id)
            step = _quiz_step(lf, card.quiz_id) if lf is not None else None
            if lf is None:
                self.unavailable.append(Unavailable(card, f"there is no lesson '{card.lesson_id}' any more"))
            elif step is None:
                self.unavailable.append(
                    Unavailable(card, f"lesson '{card.lesson_id}' has no quiz '{card.quiz_id}' any more")
                )
            else:
                self.items.append(DueQuiz(card, lf, step))
        self.position = 0
        self.ratings: list[Rating] = []  #: the ratings given so far, in order
        self._session: QuizSession | None = None
        self._rated = False

    # -- where we are -----------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> bool:
        return self.position >= self.total

    @property
    def current(self) -> DueQuiz | None:
        return None if self.done else self.items[self.position]

    @property
    def label(self) -> str:
        """"3 of 7 due"."""
        return f"{min(self.position + 1, self.total)} of {self.total} due"

    @property
    def rated(self) -> bool:
        """Whether the current card has been rated (its quiz finished or skipped)."""
        return self._rated

    def next_due(self) -> datetime | None:
        """When the soonest card is due (after what this review has done), or None without cards."""
        return self.store.next_due()

    # -- the current quiz -------------------------------------------------------------------------------
    def session(self) -> QuizSession:
        """The quiz session of the current card, with a fresh variant; kept until the review moves on."""
        item = self.current
        if item is None:
            raise IndexError("the review is over")
        if self._session is None:
            from ce_tutor.lessons.runtime import lesson_env
            from ce_tutor.review.fresh import fresh_seed

            env = lesson_env(item.file)
            store, lesson_id, quiz_id = self.store, item.lesson_id, item.quiz_id

            def seed_for(_index: int) -> int:
                return fresh_seed(item.step, env, lesson_id, self.learner_seed, store.seen_seeds(lesson_id, quiz_id))

            self._session = QuizSession(
                item.step, env, lesson_id, self.learner_seed, max_attempts=self.max_attempts,
                record=self._recorder(item), seed_for=seed_for,
                shown=lambda seed: store.mark_seen(lesson_id, quiz_id, seed),
            )
        return self._session

    def skip(self) -> None:
        """Move on; an unrated card is rated as skipped (Again)."""
        item = self.current
        if item is None:
            return
        if not self._rated:
            seed = self._session.variant.seed if self._session is not None else 0
            self._rate(item, SKIPPED, seed)
        self._advance()

    def next(self) -> None:
        """Move on to the next card (the same as :meth:`skip` when the current one is not rated)."""
        self.skip()

    def pass_over(self) -> None:
        """Move on without rating the current card (its quiz cannot be shown): it stays due."""
        if not self.done:
            self._advance()

    # -- internals --------------------------------------------------------------------------------------
    def _advance(self) -> None:
        self.position += 1
        self._session = None
        self._rated = False

    def _rate(self, item: DueQuiz, outcome: Outcome, seed: int) -> None:
        from ce_tutor.review.schedule import REVIEW

        card = self.store.review_card(item.lesson_id, item.quiz_id) or item.card
        _, rating = rate_and_save(self.store, card, item.lesson_id, item.quiz_id, outcome, seed=seed, source=REVIEW)
        self._rated = True
        self.ratings.append(rating)

    def _recorder(self, item: DueQuiz) -> Callable[[str, str, int], None]:
        def record(answer: str, verdict: str, seed: int) -> None:
            self.store.record_attempt(item.lesson_id, item.quiz_id, seed, answer, verdict)
            session = self._session
            if session is not None and session.finished and not self._rated and self.current is item:
                self._rate(item, session.outcome, seed)

        return record


def _quiz_step(lf: LessonFile, quiz_id: str) -> QuizStep | None:
    return next((s for s in lf.lesson.steps if isinstance(s, QuizStep) and s.id == quiz_id), None)


RATING_WORDS = {
    1: "Again: it comes back soon",
    2: "Hard: right, with some help",
    3: "Good: right at the first try",
    4: "Easy: right at the first try, and quickly",
}


def until(moment: datetime, now: datetime) -> str:
    """How long from ``now`` to ``moment``, roughly and in words: "in 10 minutes", "in 3 days", "now"."""
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' * (n != 1)}"
    return "in less than a minute"


def nothing_due(next_due: datetime | None, now: datetime | None = None) -> str:
    """What to say when no card is due: when the next one is, or how cards come about."""
    if next_due is None:
        return "Nothing to review yet: every quiz you meet in a lesson becomes a review card."
    now = now or clock.now()
    return f"Nothing is due for review. The next card is due at {clock.iso(next_due)} ({until(next_due, now)})."
