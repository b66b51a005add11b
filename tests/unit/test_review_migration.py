"""The progress database of schema 1 (before spaced review) upgrades in place, with nothing lost.

``tests/data/progress/v1-progress.sqlite3`` was written by the ProgressStore of commit 92e6612 (schema 1):
softmax visited and completed (resume step 5 of 12), neg-log-p visited at step 3 of 9, and four attempts:
softmax-probability wrong then correct (seed 111), softmax-shift revealed (seed 222), nlp-one close (seed 333).
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

from fsrs import Rating

from ce_tutor.progress import FILE_NAME, SCHEMA_VERSION, ProgressStore
from ce_tutor.review.schedule import REVIEW
from ce_tutor.review.session import rate_and_save
from ce_tutor.quiz.session import Outcome

V1 = Path(__file__).parents[1] / "data" / "progress" / "v1-progress.sqlite3"
LEARNER_SEED = 2135696382924279367


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_schema_1_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    shutil.copy(V1, path)
    before_lessons = rows(path, "SELECT * FROM lessons ORDER BY lesson_id")
    before_attempts = rows(path, "SELECT * FROM attempts ORDER BY id")
    assert rows(path, "PRAGMA user_version") == [(1,)] and len(before_attempts) == 4

    with ProgressStore(tmp_path) as store:
        assert store.warnings == [] and store.path == path
        assert store.learner_seed == LEARNER_SEED
        assert store.lesson("softmax").complete and store.lesson("softmax").current_step == 5
        assert store.lesson("neg-log-p").current_step == 2
        assert [(a.quiz_id, a.seed, a.verdict) for a in store.attempts()] == [
            ("softmax-probability", 111, "wrong"), ("softmax-probability", 111, "correct"),
            ("softmax-shift", 222, "revealed"), ("nlp-one", 333, "close"),
        ]
        # Every quiz met before the upgrade is a card, due since it was first met, never reviewed yet.
        cards = {(c.lesson_id, c.quiz_id): c for c in store.review_cards()}
        assert set(cards) == {("softmax", "softmax-probability"), ("softmax", "softmax-shift"), ("neg-log-p", "nlp-one")}
        first_seen = {(a.lesson_id, a.quiz_id): a.time for a in reversed(store.attempts())}
        for key, card in cards.items():
            assert card.due == first_seen[key] and card.reviews == 0 and card.stability is None
        assert store.due_count() == 3 and store.review_log() == []
        assert store.seen_seeds("softmax", "softmax-probability") == {111}

        # Such a card reviews like any other.
        card = cards[("softmax", "softmax-probability")]
        now = card.due + timedelta(days=3)
        updated, rating = rate_and_save(store, card, card.lesson_id, card.quiz_id,
                                        Outcome(True, 1, 0, False, 4.0), seed=5, source=REVIEW, now=now)
        assert rating is Rating.Good and updated.due > now and store.due_count(now) == 2

    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "SELECT * FROM lessons ORDER BY lesson_id") == before_lessons
    assert rows(path, "SELECT * FROM attempts ORDER BY id") == before_attempts
    # Opening it again migrates nothing twice.
    with ProgressStore(tmp_path) as store:
        assert len(store.review_cards()) == 3 and len(store.review_log()) == 1


def test_a_read_only_schema_1_database_shows_its_progress_with_no_cards_and_queues_reviews(
    monkeypatch, tmp_path: Path
) -> None:
    """Opened read-only, a schema-1 file is not migrated: it has no review tables, so there are no cards and
    nothing is due (no error), and a review made meanwhile is kept and saved once the file can be written."""
    from ce_tutor import progress

    path = tmp_path / FILE_NAME
    shutil.copy(V1, path)
    monkeypatch.setattr(progress, "_can_write", lambda path: False)
    store = ProgressStore(tmp_path)
    try:
        assert store.read_only and store.lesson("softmax").complete
        assert store.review_cards() == [] and store.due_count() == 0 and store.next_due() is None
        assert store.seen_seeds("softmax", "softmax-shift") == {222}  # from the attempts table alone
        store.mark_seen("softmax", "softmax-shift", 999)
        assert store.unsaved == 1 and rows(path, "PRAGMA user_version") == [(1,)]
        monkeypatch.setattr(progress, "_can_write", lambda path: True)
        assert store.retry()
        assert 999 in store.seen_seeds("softmax", "softmax-shift")
    finally:
        store.close()
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
