"""``LessonRun``: one learner going through one lesson, shared by the Textual app and the plain mode.

It knows which step is showing, moves between steps, records progress as it goes (every move is saved
at once), and keeps one explorer and one quiz session per step, so that going back to a step finds it as
it was left. It renders nothing itself: front ends ask it for text and numbers and present them.

Each quiz the learner meets becomes a review card (:func:`ce_tutor.review.session.meet_in_lesson`): when
the quiz is finished (solved, or its worked solution shown), or when the learner moves on past it unfinished
(skipped). Every variant shown is remembered, so that reviews never show it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ce_tutor.lessons import template
from ce_tutor.lessons.schema import ExploreStep, Lesson, QuizStep, Step

if TYPE_CHECKING:
    from ce_tutor.lessons.explore import Explorer
    from ce_tutor.progress import ProgressStore
    from ce_tutor.quiz import QuizSession


S = TypeVar("S", ExploreStep, QuizStep)


class LessonRun:
    """Where a learner is in a lesson. ``index`` is 0-based; labels shown to people are 1-based."""

    def __init__(
        self,
        lesson: Lesson,
        env: Mapping[str, Any],
        *,
        store: ProgressStore | None = None,
        learner_seed: int = 0,
        start: int | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.lesson = lesson
        self.env = dict(env)
        self.store = store
        self.learner_seed = learner_seed
        self.max_attempts = max_attempts
        self._explorers: dict[int, Explorer] = {}
        self._quizzes: dict[int, QuizSession] = {}
        self._met: set[int] = set()  # quiz steps whose meeting went to the review cards
        if start is None and store is not None:
            saved = store.lesson(lesson.id)
            start = 0 if saved.complete else saved.current_step
        self.index = self._clamp(start or 0)
        self._save()

    # -- where we are ------------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        return len(self.lesson.steps)

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def is_first(self) -> bool:
        return self.index == 0

    @property
    def is_last(self) -> bool:
        return self.index == self.n_steps - 1

    @property
    def position(self) -> str:
        """"step 3/9", for progress indicators."""
        return f"step {self.index + 1}/{self.n_steps}"

    # -- moving --------------------------------------------------------------------------------------------
    def go(self, index: int) -> bool:
        """Show step ``index`` (clamped to the lesson). Returns whether the step changed."""
        target = self._clamp(index)
        if target == self.index:
            return False
        if target > self.index:
            self._moved_past(self.index)
        self.index = target
        self._save()
        return True

    def next(self) -> bool:
        """Move on. On the last step this finishes the lesson (marks it complete) and returns False."""
        if self.is_last:
            self.finish()
            return False
        return self.go(self.index + 1)

    def previous(self) -> bool:
        return self.go(self.index - 1)

    def finish(self) -> None:
        self._moved_past(self.index)
        if self.store is not None:
            self.store.complete_lesson(self.lesson.id, self.n_steps)

    # -- what the current step needs ----------------------------------------------------------------------
    def render(self, text: str | None) -> str:
        """Fill a template from the lesson's values ("" for None)."""
        return template.render(text, self.env) if text else ""

    def explorer(self, index: int | None = None) -> Explorer:
        """The explorer of an explore step, kept for the whole run."""
        i, step = self._step_at(index, ExploreStep, "an explorer")
        if i not in self._explorers:
            from ce_tutor.lessons.explore import Explorer

            self._explorers[i] = Explorer(step, self.env)
        return self._explorers[i]

    def quiz(self, index: int | None = None) -> QuizSession:
        """The quiz session of a quiz step, kept for the whole run; its attempts go to the store."""
        i, step = self._step_at(index, QuizStep, "a quiz")
        if i not in self._quizzes:
            from ce_tutor.quiz import QuizSession

            self._quizzes[i] = QuizSession(
                step,
                self.env,
                self.lesson.id,
                self.learner_seed,
                max_attempts=self.max_attempts,
                record=self._recorder(i, step.id),
                shown=self._shown(step.id),
            )
        return self._quizzes[i]

    # -- internals -----------------------------------------------------------------------------------------
    def _step_at(self, index: int | None, kind: type[S], noun: str) -> tuple[int, S]:
        i = self.index if index is None else index
        step = self.lesson.steps[i]
        if not isinstance(step, kind):
            raise TypeError(f"step {i + 1} is a {step.type} step, not {noun}")
        return i, step

    def _clamp(self, index: int) -> int:
        return max(0, min(int(index), self.n_steps - 1))

    def _save(self) -> None:
        if self.store is not None:
            self.store.visit_step(self.lesson.id, self.index, self.n_steps)

    def _recorder(self, index: int, quiz_id: str) -> Callable[[str, str, int], None] | None:
        if self.store is None:
            return None
        store, lesson_id = self.store, self.lesson.id

        def record(answer: str, verdict: str, seed: int) -> None:
            store.record_attempt(lesson_id, quiz_id, seed, answer, verdict)
            session = self._quizzes.get(index)
            if session is not None and session.finished:
                self._meet(index, session)

        return record

    def _shown(self, quiz_id: str) -> Callable[[int], None] | None:
        if self.store is None:
            return None
        store, lesson_id = self.store, self.lesson.id
        return lambda seed: store.mark_seen(lesson_id, quiz_id, seed)

    def _moved_past(self, index: int) -> None:
        """Leaving step ``index`` forwards: a quiz shown there and not finished was skipped."""
        session = self._quizzes.get(index)
        if session is not None:
            self._meet(index, session)

    def _meet(self, index: int, session: QuizSession) -> None:
        """The learner met the quiz of step ``index``: its review card is made (once per run)."""
        if self.store is None or index in self._met:
            return
        self._met.add(index)
        from ce_tutor.review.session import SKIPPED, meet_in_lesson

        outcome = session.outcome if session.finished else SKIPPED
        meet_in_lesson(self.store, self.lesson.id, session.step.id, outcome, session.variant.seed)
