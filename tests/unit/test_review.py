"""Spaced review: ratings from behaviour, FSRS scheduling with a fixed clock, cards from lessons, fresh
variants, the review session, the store's review tables and the CE_TUTOR_NOW clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from fsrs import Rating

from ce_tutor import clock
from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.player import LessonRun
from ce_tutor.lessons.schema import Lesson
from ce_tutor.progress import ProgressStore
from ce_tutor.quiz import draw_variant
from ce_tutor.quiz.session import Outcome
from ce_tutor.review.fresh import fresh_seed, review_seed, shown_values
from ce_tutor.review.rating import EASY_FRACTION, rate, usual_seconds
from ce_tutor.review.schedule import LESSON, REVIEW, new_card, review
from ce_tutor.review.session import Review, meet_in_lesson, nothing_due, rate_and_save, until

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

LESSON_DATA = {
    "schema_version": 1,
    "id": "demo",
    "title": "Demo",
    "summary": "A small lesson.",
    "steps": [
        {"type": "prose", "text": "Hello."},
        {
            "type": "quiz",
            "id": "q-ln",
            "title": "A log",
            "params": {"a": {"uniform": [0.2, 0.9], "round": 2}},
            "prompt": "What is -ln({a})?",
            "answer": "-ln(a)",
            "hints": ["Take ln({a}), then flip the sign."],
            "misconceptions": [{"answer": "ln(a)", "feedback": "Mind the sign."}],
            "solution": ["-ln({a}) = {-ln(a):.3f}"],
        },
        {
            "type": "quiz",
            "id": "q-few",
            "params": {"k": {"choice": [1, 2, 3, 4]}},
            "prompt": "What is {k} + 1?",
            "answer": "k + 1",
        },
    ],
}
DEMO = validate(Lesson, LESSON_DATA)


def outcome(solved=True, tries=1, hints=0, revealed=False, seconds=10.0) -> Outcome:
    return Outcome(solved, tries, hints, revealed, seconds if solved else None)


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path) as s:
        yield s


@pytest.fixture
def at(monkeypatch):
    """Set the program's clock (CE_TUTOR_NOW) to a given moment."""

    def set_clock(moment: datetime) -> datetime:
        monkeypatch.setenv(clock.NOW_ENV, moment.isoformat())
        return moment

    return set_clock


class OneLesson:
    """A catalog of the demo lesson (what Review needs of a Catalog)."""

    def __init__(self, lesson: Lesson = DEMO) -> None:
        self.file = SimpleNamespace(lesson=lesson, path="demo.yaml", line_of=lambda *a: 1)

    def get(self, lesson_id: str):
        return self.file if lesson_id == self.file.lesson.id else None


@pytest.fixture(autouse=True)
def no_env_cache(monkeypatch):
    """The demo lesson has no values; Review computes them with lesson_env, which wants a real LessonFile."""
    monkeypatch.setattr("ce_tutor.lessons.runtime.lesson_env", lambda lf: {})


# -- the rating mapping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("what", "expected"),
    [
        (outcome(), Rating.Good),
        (outcome(tries=2), Rating.Hard),  # a second try (a close answer also counts as one)
        (outcome(tries=3), Rating.Hard),
        (outcome(hints=1), Rating.Hard),  # right at the first try, but after a hint
        (outcome(solved=False, tries=3, revealed=True), Rating.Again),  # wrong until the worked solution
        (outcome(solved=False, tries=0, revealed=True), Rating.Again),  # asked for the solution
        (outcome(solved=False, tries=0), Rating.Again),  # skipped
        (outcome(solved=False, tries=1), Rating.Again),  # one wrong answer, then moved on
    ],
)
def test_rating_from_behaviour(what: Outcome, expected: Rating) -> None:
    assert rate(what) is expected
    assert rate(what, usual=1000.0) is (Rating.Easy if expected is Rating.Good else expected)


def test_easy_needs_a_first_try_well_under_the_usual_time() -> None:
    usual = usual_seconds([20.0, 30.0, 40.0])
    assert usual == 30.0
    assert rate(outcome(seconds=EASY_FRACTION * 30.0 - 0.1), usual) is Rating.Easy
    assert rate(outcome(seconds=EASY_FRACTION * 30.0 + 0.1), usual) is Rating.Good
    assert rate(outcome(seconds=1.0, tries=2), usual) is Rating.Hard  # fast, but not at the first try
    assert rate(outcome(seconds=1.0), None) is Rating.Good  # no usual time yet


def test_usual_time_needs_two_earlier_times() -> None:
    assert usual_seconds([]) is None
    assert usual_seconds([12.0]) is None
    assert usual_seconds([12.0, 0.0]) is None  # a zero is no measurement
    assert usual_seconds([10.0, 30.0]) == 20.0


# -- scheduling with a fixed clock ----------------------------------------------------------------------------
def test_a_missed_quiz_is_due_again_within_the_day() -> None:
    card, entry = review(new_card("l", "q", T0), rate(outcome(solved=False, tries=3, revealed=True)), T0,
                         seed=1, source=LESSON, duration_ms=None)
    assert T0 < card.due <= T0 + timedelta(hours=1)
    assert (entry.rating, entry.due, card.reviews) == (int(Rating.Again), card.due, 1)
    # Missed again at its due time, after it had been learnt: back within the day, not in days.
    for rating in (Rating.Good, Rating.Good, Rating.Good):
        card, _ = review(card, rating, card.due, seed=1, source=REVIEW, duration_ms=None)
    learnt = card.due
    assert learnt - T0 > timedelta(days=2)
    card, _ = review(card, Rating.Again, learnt, seed=1, source=REVIEW, duration_ms=None)
    assert learnt < card.due <= learnt + timedelta(days=1)


def test_a_quiz_answered_well_several_times_is_due_weeks_later() -> None:
    card = new_card("l", "q", T0)
    dues = []
    for _ in range(4):
        card, _ = review(card, rate(outcome()), card.due, seed=1, source=REVIEW, duration_ms=5000)
        dues.append(card.due)
    gaps = [b - a for a, b in zip(dues, dues[1:])]
    assert gaps == sorted(gaps)  # the intervals grow
    assert dues[-1] - dues[-2] >= timedelta(weeks=2)
    assert card.reviews == 4 and card.stability is not None and card.stability > 10


def test_scheduling_is_deterministic() -> None:
    first = review(new_card("l", "q", T0), Rating.Good, T0, seed=1, source=LESSON, duration_ms=None)
    again = review(new_card("l", "q", T0), Rating.Good, T0, seed=1, source=LESSON, duration_ms=None)
    assert first == again


# -- the store's review tables ------------------------------------------------------------------------------
def test_cards_and_logs_survive_a_restart(tmp_path) -> None:
    with ProgressStore(tmp_path) as s:
        card, rating = rate_and_save(s, None, "demo", "q-ln", outcome(), seed=7, source=LESSON, now=T0)
        assert rating is Rating.Good
    with ProgressStore(tmp_path) as s:
        [stored] = s.review_cards()
        assert stored == card and stored.reviews == 1
        [entry] = s.review_log()
        assert (entry.time, entry.rating, entry.source, entry.seed, entry.duration_ms) == (T0, 3, LESSON, 7, 10000)
        assert s.due_count(T0) == 0 and s.due_count(card.due) == 1
        assert s.next_due() == card.due


def test_reset_forgets_a_lessons_cards_only(store) -> None:
    rate_and_save(store, None, "demo", "q-ln", outcome(), seed=1, source=LESSON, now=T0)
    rate_and_save(store, None, "other", "q", outcome(), seed=2, source=LESSON, now=T0)
    store.mark_seen("demo", "q-ln", 5)
    assert store.reset("demo") == 3  # a card, its log entry, a seen variant
    assert [c.lesson_id for c in store.review_cards()] == ["other"]
    assert [e.lesson_id for e in store.review_log()] == ["other"]
    assert store.seen_seeds("demo", "q-ln") == set()


def test_export_holds_cards_and_review_log(store) -> None:
    card, _ = rate_and_save(store, None, "demo", "q-ln", outcome(tries=2), seed=9, source=LESSON, now=T0)
    data = store.export()
    assert data["review_cards"] == [{
        "lesson_id": "demo", "quiz_id": "q-ln", "due": card.due.isoformat(timespec="microseconds"),
        "state": card.state, "step": card.step, "stability": card.stability, "difficulty": card.difficulty,
        "last_review": T0.isoformat(timespec="microseconds"), "reviews": 1,
    }]
    assert [(e["rating"], e["seed"], e["source"]) for e in data["review_log"]] == [(int(Rating.Hard), 9, LESSON)]


def test_seen_seeds_include_attempts_and_shown_variants(store) -> None:
    store.record_attempt("demo", "q-ln", 11, "0.5", "wrong")
    store.mark_seen("demo", "q-ln", 12)
    store.mark_seen("demo", "q-ln", 12)
    store.mark_seen("demo", "other", 13)
    assert store.seen_seeds("demo", "q-ln") == {11, 12}


# -- cards from lessons --------------------------------------------------------------------------------------
def test_a_quiz_solved_in_a_lesson_becomes_a_card(store, at) -> None:
    at(T0)
    run = LessonRun(DEMO, {}, store=store, learner_seed=1)
    run.next()
    quiz = run.quiz()
    quiz.submit(repr(quiz.variant.answer))
    [card] = store.review_cards()
    assert (card.lesson_id, card.quiz_id, card.reviews) == ("demo", "q-ln", 1)
    [entry] = store.review_log()
    assert (entry.rating, entry.source, entry.seed) == (int(Rating.Good), LESSON, quiz.variant.seed)
    assert card.due == T0 + timedelta(minutes=10)  # the second learning step
    assert store.seen_seeds("demo", "q-ln") == {quiz.variant.seed}


def test_moving_on_past_an_unfinished_quiz_skips_it(store, at) -> None:
    at(T0)
    run = LessonRun(DEMO, {}, store=store, learner_seed=1)
    run.next()
    run.quiz().submit("123")  # wrong once: not finished
    assert store.review_cards() == []
    run.previous()  # going back is not skipping
    assert store.review_cards() == []
    run.next()
    run.next()  # on to the last quiz: q-ln was skipped
    [card] = store.review_cards()
    assert card.quiz_id == "q-ln" and [e.rating for e in store.review_log()] == [int(Rating.Again)]
    assert card.due <= T0 + timedelta(minutes=1)


def test_a_later_lesson_meeting_leaves_the_schedule_alone(store, at) -> None:
    at(T0)
    assert meet_in_lesson(store, "demo", "q-ln", outcome(), seed=1)
    first = store.review_card("demo", "q-ln")
    at(T0 + timedelta(hours=1))
    assert not meet_in_lesson(store, "demo", "q-ln", outcome(solved=False, tries=0), seed=2)
    assert store.review_card("demo", "q-ln") == first and len(store.review_log()) == 1


def test_a_lesson_without_a_store_makes_no_cards() -> None:
    run = LessonRun(DEMO, {}, learner_seed=1)
    run.next()
    run.quiz().solution()
    run.next()  # nothing to save, nothing raised


# -- fresh variants ------------------------------------------------------------------------------------------
def test_fresh_seeds_are_never_seen_and_give_new_values() -> None:
    step = DEMO.steps[1]
    seen: set[int] = set()
    values = []
    for _ in range(15):
        seed = fresh_seed(step, {}, "demo", 1, seen)
        assert seed not in seen
        seen.add(seed)
        values.append(shown_values(step, draw_variant(step, {}, "demo", seed)))
    assert len(set(values)) == len(values)


def test_fresh_values_avoid_those_already_seen_in_a_small_space() -> None:
    step = DEMO.steps[2]  # k is one of 1, 2, 3, 4
    seen = {review_seed(1, "demo", "q-few", n) for n in range(3)}
    old = {draw_variant(step, {}, "demo", s).values["k"] for s in seen}
    fresh = draw_variant(step, {}, "demo", fresh_seed(step, {}, "demo", 1, seen)).values["k"]
    assert len(old) < 4 and fresh not in old
    # Every value seen: still a seed never shown (the values must repeat).
    every = {review_seed(1, "demo", "q-few", n) for n in range(40)}
    assert fresh_seed(step, {}, "demo", 1, every) not in every


# -- the review session --------------------------------------------------------------------------------------
def test_a_review_runs_the_due_cards_with_fresh_variants(store, at) -> None:
    at(T0)
    for quiz_id in ("q-ln", "q-few"):
        meet_in_lesson(store, "demo", quiz_id, outcome(), seed=1)
    store.mark_seen("demo", "q-ln", 2)
    at(T0 + timedelta(hours=1))
    review_ = Review(store, OneLesson(), learner_seed=1)
    assert (review_.total, review_.label, review_.unavailable) == (2, "1 of 2 due", [])
    assert [item.quiz_id for item in review_.items] == ["q-few", "q-ln"]  # equally due: by id
    review_.next()  # skip q-few: rated Again
    assert review_.current.quiz_id == "q-ln"
    before = store.seen_seeds("demo", "q-ln")
    session = review_.session()
    assert before == {1, 2} and session.variant.seed not in before
    assert store.seen_seeds("demo", "q-ln") == {1, 2, session.variant.seed}
    assert review_.session() is session  # kept until the review moves on
    assert not review_.rated
    session.submit("0")  # wrong
    session.submit(repr(session.variant.answer))  # right at the second try: Hard
    assert review_.rated and review_.ratings == [Rating.Again, Rating.Hard]
    assert review_.label == "2 of 2 due"
    review_.next()
    assert review_.done and review_.label == "2 of 2 due"
    log = store.review_log()
    assert [(e.quiz_id, e.source, e.rating) for e in log] == [
        ("q-ln", LESSON, 3), ("q-few", LESSON, 3), ("q-few", REVIEW, int(Rating.Again)),
        ("q-ln", REVIEW, int(Rating.Hard)),
    ]
    assert store.due_count() == 0
    assert [a.verdict for a in store.attempts()] == ["wrong", "correct"]


def test_a_review_leaves_out_cards_of_missing_lessons_and_quizzes(store, at) -> None:
    at(T0)
    meet_in_lesson(store, "gone", "q", outcome(), seed=1)
    meet_in_lesson(store, "demo", "no-such-quiz", outcome(), seed=1)
    at(T0 + timedelta(days=1))
    review_ = Review(store, OneLesson(), learner_seed=1)
    assert review_.total == 0 and review_.done
    assert sorted(u.reason for u in review_.unavailable) == [
        "lesson 'demo' has no quiz 'no-such-quiz' any more", "there is no lesson 'gone' any more"
    ]


def test_a_card_left_unfinished_stays_due(store, at) -> None:
    at(T0)
    meet_in_lesson(store, "demo", "q-ln", outcome(), seed=1)
    at(T0 + timedelta(days=1))
    review_ = Review(store, OneLesson(), learner_seed=1)
    review_.session().submit("0")
    review_.pass_over()
    assert review_.done and store.due_count() == 1


def test_nothing_due_says_when_the_next_card_is() -> None:
    assert "every quiz you meet" in nothing_due(None)
    message = nothing_due(T0 + timedelta(days=3), now=T0)
    assert message == "Nothing is due for review. The next card is due at 2026-12-04T09:00:00Z (in 3 days)."
    assert until(T0 + timedelta(minutes=10), T0) == "in 10 minutes"
    assert until(T0 - timedelta(minutes=10), T0) == "now"


# -- the clock -----------------------------------------------------------------------------------------------
def test_ce_tutor_now_replaces_the_clock(monkeypatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV, "2026-12-09T10:00:00+01:00")
    assert clock.now() == datetime(2026, 12, 9, 9, 0, tzinfo=timezone.utc)
    monkeypatch.setenv(clock.NOW_ENV, "2026-12-09T08:00:00")  # no offset: UTC
    assert clock.now() == datetime(2026, 12, 9, 8, 0, tzinfo=timezone.utc)
    assert clock.iso(clock.now()) == "2026-12-09T08:00:00Z"
    monkeypatch.setenv(clock.NOW_ENV, "next tuesday\x1b[2J")
    with pytest.raises(clock.ClockError) as err:
        clock.now()
    assert "\x1b" not in str(err.value) and "ISO 8601" in str(err.value)
    assert clock.check() == str(err.value)
    monkeypatch.delenv(clock.NOW_ENV)
    assert clock.check() is None and clock.now().tzinfo is timezone.utc


def test_the_store_uses_the_clock(store, at) -> None:
    at(T0)
    store.record_attempt("demo", "q-ln", 1, "x", "wrong")
    assert store.attempts()[0].time == T0


def test_new_numbers_in_a_review_are_fresh_too(store, at) -> None:
    at(T0)
    meet_in_lesson(store, "demo", "q-ln", outcome(), seed=1)
    at(T0 + timedelta(days=1))
    review_ = Review(store, OneLesson(), learner_seed=1)
    session = review_.session()
    seen = [session.variant.seed]
    for _ in range(5):
        before = store.seen_seeds("demo", "q-ln")
        session.new_variant()
        assert session.variant.seed not in before
        seen.append(session.variant.seed)
    assert len(set(seen)) == 6 and store.seen_seeds("demo", "q-ln") == {1, *seen}
    assert not review_.rated  # new numbers are not an answer
