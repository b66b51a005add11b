"""``ce-tutor review`` in plain text: the due quizzes one at a time, answered as in the plain lessons.

The same commands work as in a lesson's quiz (``hint``, ``solution``, ``new``, ``skip``, ``quit``); a card is
rated the moment its quiz is finished, and ``skip`` rates it Again. End of input and Ctrl-C end the review
with exit status 0: every rating given is saved, and an unfinished card stays due.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ce_tutor import clock
from ce_tutor.plain import PlainTutor, Quit

if TYPE_CHECKING:
    from ce_tutor.progress import ProgressStore
    from ce_tutor.review.session import Review


class PlainReview:
    """Runs a :class:`~ce_tutor.review.session.Review` through a :class:`~ce_tutor.plain.PlainTutor`'s I/O."""

    def __init__(self, review: Review, tutor: PlainTutor) -> None:
        self.review = review
        self.tutor = tutor

    def run(self) -> int:
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.quiz import VariantError
        from ce_tutor.review.session import RATING_WORDS, nothing_due, until

        review, say = self.review, self.tutor.say
        n = review.total
        say(f"Review: {n} quiz{'zes' * (n != 1)} due, each with numbers you have not seen. "
            "Type q at any prompt to stop.")
        try:
            while not review.done:
                item = review.current
                assert item is not None
                say(f"\n--- Review, {review.label} - {item.title} [{item.lesson_id}/{item.quiz_id}] ---")
                try:
                    session = review.session()
                except (VariantError, LessonLoadError) as exc:
                    say(f"This quiz cannot be drawn ({exc}); 'ce-tutor check' says more. It stays due.")
                    review.pass_over()
                    continue
                self.tutor.answer(session)
                skipped = not review.rated
                review.next()  # rates a skipped card Again
                card = review.store.review_card(item.lesson_id, item.quiz_id)
                due = f" Next review {until(card.due, clock.now())}." if card is not None else ""
                said = "Skipped, so rated" if skipped else "Rated"
                say(f"{said} {RATING_WORDS[int(review.ratings[-1])]}.{due}")
            say(f"\nReview done: {len(review.ratings)} reviewed. {nothing_due(review.next_due())}")
        except (Quit, KeyboardInterrupt):
            say(f"Review saved ({len(review.ratings)} reviewed); what is left stays due. Bye.")
        return 0


def run_plain_review(review: Review, store: ProgressStore) -> int:
    """Entry point from the CLI, with the review and the (open) store it uses."""
    for stream in (sys.stdout, sys.stderr):  # a learner's terminal may not encode ∞ or ≈: never crash on it
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    tutor = PlainTutor(None, store, review.learner_seed, ascii=True)  # type: ignore[arg-type] - no lessons
    return PlainReview(review, tutor).run()
