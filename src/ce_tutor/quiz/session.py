"""One quiz as a learner works through it, shared by the Textual app and the plain mode.

Both front ends drive a :class:`QuizSession` and show what it returns, so a given answer gets the same
verdict, hints and solution in either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from ce_tutor.lessons.schema import QuizStep
from ce_tutor.quiz.grading import Feedback, Verdict, format_answer, grade
from ce_tutor.quiz.variants import Variant, VariantError, draw_variant, variant_seed

#: Called as ``record(answer, verdict, seed)`` for every graded attempt, as
#: ``record("", "revealed", seed)`` when the learner asks for the solution before solving the quiz, and as
#: ``record("", "hint", seed)`` when the learner asks for a hint (not for those a wrong answer unlocks).
Recorder = Callable[[str, str, int], None]

#: ``seed_for(index)``: the seed of variant ``index`` (by default :func:`variant_seed` of the learner's seed).
SeedChooser = Callable[[int], int]
#: Called as ``shown(seed)`` each time a variant is drawn for the learner to see.
ShownHook = Callable[[int], None]

_MISSES = frozenset({Verdict.WRONG, Verdict.MISCONCEPTION})
NEXT_VARIANT_TRIES = 3  #: variants a "new numbers" request tries before it says none could be drawn


@dataclass(frozen=True)
class Outcome:
    """How a learner fared with a quiz over the whole session (every variant they were shown).

    ``tries`` counts recorded attempts, ``hints`` the hints unlocked, ``revealed`` whether a worked solution
    was shown before the quiz was solved, and ``seconds`` how long the solved variant took from being shown
    to the right answer (None when not solved). The review scheduler rates a quiz from this.
    """

    solved: bool
    tries: int
    hints: int
    revealed: bool
    seconds: float | None


class QuizSession:
    """Attempts, hints and the worked solution of one quiz, one variant at a time.

    - Unreadable answers cost nothing and are not recorded.
    - A wrong answer (or a known misconception) unlocks the next hint; after ``max_attempts`` of them the
      worked solution is revealed and the feedback says so.
    - A close answer counts as an attempt (it is recorded) but not as a miss: the learner has the method
      and only needs more digits, so it unlocks no hint and does not bring the solution nearer.
    - Once the quiz is solved, further answers return the same feedback and record nothing. Once the
      solution is shown, answers are still graded (to check one's working) but nothing is recorded.

    Raises :class:`~ce_tutor.quiz.variants.VariantError` (here and from :meth:`new_variant`) when the quiz
    cannot be drawn: a lesson problem that ``ce-tutor check`` reports. A variant that cannot be drawn (a
    ``require`` that rarely holds) is skipped for the next one, up to NEXT_VARIANT_TRIES in a row.
    """

    def __init__(
        self,
        step: QuizStep,
        lesson_env: Mapping[str, object],
        lesson_id: str,
        learner_seed: int,
        variant_index: int = 0,
        max_attempts: int = 3,
        record: Recorder | None = None,
        *,
        seed_for: SeedChooser | None = None,
        shown: ShownHook | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.step = step
        self.max_attempts = max_attempts
        self._lesson_env = lesson_env
        self._lesson_id = lesson_id
        self._learner_seed = learner_seed
        self._record = record
        self._seed_for = seed_for
        self._shown = shown
        self._tries = 0
        self._hints_used = 0
        self._revealed = False
        self._seconds: float | None = None
        self._start(variant_index)

    # -- state -----------------------------------------------------------------------------------------
    @property
    def variant(self) -> Variant:
        return self._variant

    @property
    def attempts(self) -> int:
        """Counted (recorded) attempts on this variant."""
        return self._attempts

    @property
    def solved(self) -> bool:
        return self._solved

    @property
    def hints_shown(self) -> list[str]:
        """The hints unlocked so far, rendered, in order."""
        return list(self._hints)

    @property
    def solution_shown(self) -> bool:
        return self._solution_shown

    @property
    def finished(self) -> bool:
        """Solved, or the solution has been shown."""
        return self._solved or self._solution_shown

    @property
    def last_feedback(self) -> Feedback | None:
        return self._last_feedback

    @property
    def outcome(self) -> Outcome:
        """The whole session so far, over every variant shown (see :class:`Outcome`)."""
        return Outcome(self._solved, self._tries, self._hints_used, self._revealed, self._seconds)

    # -- actions ---------------------------------------------------------------------------------------
    def submit(self, text: str) -> Feedback:
        """Grade ``text`` and update the state (see the class docstring for the rules)."""
        if self._solved and self._last_feedback is not None:
            return self._last_feedback
        feedback = grade(self.step, self._variant, text)
        if not feedback.counts_as_attempt or self._solution_shown:
            self._last_feedback = feedback
            return feedback
        self._attempts += 1
        self._tries += 1
        try:  # the follow-up fills in a hint or the solution: lesson text, which may run out of its budget
            feedback = self._follow_up(feedback)
        finally:  # the attempt counted is recorded either way (the follow-up never changes the verdict)
            self._last_feedback = feedback
            self._emit(text, feedback.verdict.value)  # last, so the state is whole even if saving fails
        return feedback

    def hint(self) -> str | None:
        """The learner asks for the next hint: unlock it (recorded as "hint" before the quiz is finished)
        and return it; None when every hint is shown."""
        hint = self._unlock_hint()
        if hint is not None and not self.finished:
            self._emit("", "hint")
        return hint

    def _unlock_hint(self) -> str | None:
        if len(self._hints) == len(self.step.hints):
            return None
        hint = self._variant.render(self.step.hints[len(self._hints)])
        self._hints.append(hint)
        if not self._solved:
            self._hints_used += 1
        return hint

    def solution(self) -> list[str]:
        """The worked solution, rendered; recorded as "revealed" if asked for before the quiz is finished."""
        steps = [self._variant.render(text) for text in self.step.solution] or [self._answer_line()]
        newly_revealed = not self.finished
        self._solution_shown = True
        if newly_revealed:
            self._revealed = True
            self._emit("", "revealed")
        return steps

    def new_variant(self) -> Variant:
        """Move on to the next variant (fresh values), starting again with no attempts, hints or solution.

        On VariantError the session stays on the variant it had."""
        self.use_variant(self.draw_next_variant())
        return self._variant

    def draw_next_variant(self, tries: int = NEXT_VARIANT_TRIES) -> Variant:
        """Draw the variant after the current one, changing nothing (so a front end can draw it off its UI
        thread and then :meth:`use_variant` it). A variant that cannot be drawn (a ``require`` that rarely
        holds) is skipped for the next, up to ``tries`` of them; then the last VariantError is raised, and
        the next call goes on from there."""
        return self._draw_from(max(self._variant.index + 1, self._next_index), tries)

    def use_variant(self, variant: Variant) -> None:
        """Start again on ``variant`` (from :meth:`draw_next_variant`): no attempts, hints or solution yet."""
        self._variant = variant
        self._reset()

    # -- internals -------------------------------------------------------------------------------------
    def _draw(self, index: int) -> Variant:
        if self._seed_for is not None:
            seed = self._seed_for(index)
        else:
            seed = variant_seed(self._learner_seed, self._lesson_id, self.step.id, index)
        return draw_variant(self.step, self._lesson_env, self._lesson_id, seed, index)

    def _draw_from(self, first: int, tries: int) -> Variant:
        """The first variant from index ``first`` on that can be drawn, trying at most ``tries``. Indices
        that failed are not tried again (the next request starts after them)."""
        error: VariantError | None = None
        for index in range(first, first + max(1, tries)):
            try:
                return self._draw(index)
            except VariantError as exc:
                error = exc
                self._next_index = index + 1
        assert error is not None
        raise error

    def _start(self, index: int) -> None:
        self._next_index = index
        self._variant = self._draw_from(index, NEXT_VARIANT_TRIES)
        self._reset()

    def _reset(self) -> None:
        self._shown_at = time.monotonic()
        self._attempts = 0
        self._misses = 0
        self._solved = False
        self._hints: list[str] = []
        self._solution_shown = False
        self._last_feedback: Feedback | None = None
        if self._shown is not None:
            self._shown(self._variant.seed)

    def _follow_up(self, feedback: Feedback) -> Feedback:
        """Apply a counted attempt: solved, or a miss that unlocks a hint or reveals the solution."""
        if feedback.verdict is Verdict.CORRECT:
            self._solved = True
            self._seconds = time.monotonic() - self._shown_at
        elif feedback.verdict in _MISSES:
            self._misses += 1
            if self._misses < self.max_attempts:
                self._unlock_hint()
            else:
                self._solution_shown = True
                self._revealed = True
                tries = f"{self._misses} tries" if self._misses > 1 else "one try"
                message = f"{feedback.message} That was {tries}, so here is the worked solution."
                return replace(feedback, message=message)
        return feedback

    def _emit(self, answer: str, verdict: str) -> None:
        if self._record is not None:
            self._record(answer, verdict, self._variant.seed)

    def _answer_line(self) -> str:
        """A one-line solution for a quiz without worked steps."""
        variant = self._variant
        if variant.answer is not None:
            return f"The answer is {format_answer(self.step, variant.answer)}."
        right = [f"option {i + 1} ({variant.options[i]})" for i in sorted(variant.correct_options)]
        return f"The answer is {' or '.join(right)}."
