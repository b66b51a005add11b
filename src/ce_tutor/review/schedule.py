"""The FSRS scheduler (py-fsrs, FSRS-6) and the conversion of its cards to and from the progress store.

The scheduler keeps py-fsrs's defaults (90 % desired retention, learning steps of 1 and 10 minutes, a
relearning step of 10 minutes) except that intervals are not fuzzed: the same reviews at the same times
give the same schedule, so a teacher (or a test) can predict what is due on a given day.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler, State

from ce_tutor.progress import ReviewCard, ReviewEntry

SCHEDULER = Scheduler(enable_fuzzing=False)
#: Where a review happened.
LESSON, REVIEW = "lesson", "review"


def to_fsrs(card: ReviewCard) -> Card:
    """The py-fsrs card of a stored card."""
    return Card(
        card_id=1,  # py-fsrs would otherwise sleep a millisecond to make one up; cards are keyed by quiz here
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def new_card(lesson_id: str, quiz_id: str, now: datetime) -> ReviewCard:
    """A card never reviewed, due at ``now``."""
    card = Card(card_id=1, due=now)
    return ReviewCard(lesson_id, quiz_id, int(card.state), card.step, None, None, now, None, 0)


def review(
    card: ReviewCard, rating: Rating, now: datetime, *, seed: int, source: str, duration_ms: int | None
) -> tuple[ReviewCard, ReviewEntry]:
    """Review ``card`` with ``rating`` at ``now``: its new schedule and the log entry of the review."""
    now = now.astimezone(timezone.utc)
    updated, _log = SCHEDULER.review_card(to_fsrs(card), rating, review_datetime=now, review_duration=duration_ms)
    new = ReviewCard(
        card.lesson_id,
        card.quiz_id,
        int(updated.state),
        updated.step,
        updated.stability,
        updated.difficulty,
        updated.due,
        updated.last_review,
        card.reviews + 1,
    )
    entry = ReviewEntry(now, card.lesson_id, card.quiz_id, int(rating), source, seed, duration_ms, updated.due)
    return new, entry
