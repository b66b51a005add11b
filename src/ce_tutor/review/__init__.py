"""Spaced review: every quiz a learner has met becomes an FSRS card, reviewed later with fresh numbers.

Domain code: no UI imports. Importing this package is cheap; py-fsrs is imported by
:mod:`ce_tutor.review.schedule` only when a card is rated.

- :mod:`~ce_tutor.review.rating`: the rating (Again, Hard, Good, Easy) a quiz outcome earns.
- :mod:`~ce_tutor.review.schedule`: the FSRS scheduler, and cards to and from the progress store.
- :mod:`~ce_tutor.review.fresh`: seeds of variants the learner has never seen.
- :mod:`~ce_tutor.review.session`: a review of the due cards, and the cards a lesson creates.

The cards, every review's log and the variants shown live in the progress database
(:class:`ce_tutor.progress.ProgressStore`).
"""
