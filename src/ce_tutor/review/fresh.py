"""Fresh variants for reviews: a seed the learner has never been shown for that quiz, with new values.

A review must test the skill, not the memory of a number. Review seeds come from their own BLAKE2b family
(:func:`review_seed`, apart from the lesson variants' :func:`ce_tutor.quiz.variant_seed`), every seed the
learner was shown or answered is skipped, and a candidate whose drawn values equal those of a variant
already seen is passed over too (a quiz with few possible values could repeat them under a new seed).
Only when every candidate tried repeats old values (a quiz with no random values, or very few) does a
review reuse values, still under a seed never shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from itertools import count, islice

from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz.variants import Variant, VariantError, draw_variant

#: Candidates tried for values not seen before, and seen variants compared with (both bound the work).
MAX_CANDIDATES = 64
MAX_COMPARED = 500


def review_seed(learner_seed: int, lesson_id: str, quiz_id: str, n: int) -> int:
    """The ``n``-th candidate seed of a quiz's reviews for a learner: a non-negative 63-bit int."""
    key = f"{learner_seed}\x1f{lesson_id}\x1f{quiz_id}\x1f{n}".encode()
    digest = hashlib.blake2b(key, digest_size=8, person=b"ce-tutor-review").digest()
    return int.from_bytes(digest, "big") >> 1


def shown_values(step: QuizStep, variant: Variant) -> tuple[tuple[str, str], ...]:
    """What a learner sees change between variants: the quiz's drawn parameters, as shown."""
    return tuple((name, repr(variant.values.get(name))) for name in sorted(step.params))


def fresh_seed(
    step: QuizStep, lesson_env: Mapping[str, object], lesson_id: str, learner_seed: int, seen: Collection[int]
) -> int:
    """A seed for a review variant of ``step``: never in ``seen``, and with values unlike any seen variant's
    if one of :data:`MAX_CANDIDATES` candidates has them. Raises VariantError if the quiz cannot be drawn."""
    old_values = set()
    for seed in islice(sorted(seen), MAX_COMPARED):
        try:
            old_values.add(shown_values(step, draw_variant(step, lesson_env, lesson_id, seed)))
        except VariantError:
            continue  # the lesson changed since: that variant cannot be drawn any more
    unseen = (s for s in (review_seed(learner_seed, lesson_id, step.id, n) for n in count()) if s not in seen)
    first: int | None = None
    for seed in islice(unseen, MAX_CANDIDATES):
        variant = draw_variant(step, lesson_env, lesson_id, seed)
        if shown_values(step, variant) not in old_values:
            return seed
        first = seed if first is None else first
    assert first is not None
    return first
