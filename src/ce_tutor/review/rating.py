"""Ratings from behaviour, not buttons: what a learner did with a quiz decides how well they knew it.

========================================================  ======
what happened (over every variant shown)                  rating
========================================================  ======
right at the first try, no hint, well under usual time    Easy
right at the first try, no hint                           Good
right after a hint, or at the second or a later try       Hard
wrong until the worked solution, solution asked, skipped  Again
========================================================  ======

"Well under the usual time" means in less than :data:`EASY_FRACTION` of the learner's usual time for that
quiz: the median of their earlier solving times on it, once there are at least :data:`MIN_TIMES` of them.
A "close" answer (the method right, digits missing) counts as a try.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from fsrs import Rating

from ce_tutor.quiz.session import Outcome

#: Easy when solved in less than this fraction of the usual time.
EASY_FRACTION = 0.5
#: How many earlier solving times make a "usual time".
MIN_TIMES = 2


def usual_seconds(times: Iterable[float]) -> float | None:
    """The learner's usual time on a quiz: the median of earlier solving times, or None with too few."""
    known = [t for t in times if t is not None and t > 0]
    if len(known) < MIN_TIMES:
        return None
    return float(statistics.median(known))


def rate(outcome: Outcome, usual: float | None = None) -> Rating:
    """The FSRS rating of a quiz ``outcome`` (see the module docstring); ``usual`` from :func:`usual_seconds`."""
    if not outcome.solved or outcome.revealed:
        return Rating.Again
    if outcome.tries > 1 or outcome.hints > 0:
        return Rating.Hard
    if usual is not None and outcome.seconds is not None and outcome.seconds < EASY_FRACTION * usual:
        return Rating.Easy
    return Rating.Good
