"""The app's commands in Textual's command palette (ctrl+p): review, open a lesson, reset progress, switch theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from ce_tutor.tui.app import TutorApp

Command = tuple[str, str, Callable[[], object]]


class TutorCommands(Provider):
    """Lesson and progress commands (listed when the palette opens) and theme commands (found by name)."""

    @property
    def tutor(self) -> TutorApp:
        return cast("TutorApp", self.app)

    def _lesson_commands(self) -> Iterator[Command]:
        library = self.tutor.library
        if library is None:
            return
        yield ("Review due quizzes", "The quizzes that are due, with fresh numbers (spaced review)",
               self.tutor.open_review)
        for lesson in library.index.lessons:
            yield f"Open lesson: {lesson.title}", lesson.summary, partial(self.tutor.open_lesson, lesson.id)
        for lesson in library.index.lessons:
            yield (f"Reset progress: {lesson.title}", "Forget where you are in this lesson (asks first)",
                   partial(self.tutor.reset_progress, lesson.id))
        yield "Reset all progress", "Forget every lesson's progress and quiz history (asks first)", partial(
            self.tutor.reset_progress, None)

    def _theme_commands(self) -> Iterator[Command]:
        for name in sorted(self.app.available_themes):
            yield f"Theme: {name}", "Switch the colour theme", partial(setattr, self.app, "theme", name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._lesson_commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in (*self._lesson_commands(), *self._theme_commands()):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
