"""The Textual app: the lesson browser, the lesson player and the dialogs around them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from ce_tutor.tui import AppOptions
from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.workarounds import stop_styles_cache_leak

if TYPE_CHECKING:
    from textual.command import Provider

    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.tui.library import Library
    from ce_tutor.tui.screens.who import Learner

# Only what the first frame needs is imported above; the rest is imported when first used, so that the
# app starts as fast as a bare Textual app.


def tutor_commands() -> type[Provider]:
    """The palette's lesson commands (imported when the palette first opens)."""
    from ce_tutor.tui.commands import TutorCommands

    return TutorCommands


SIXTEEN_COLOUR_THEME = "ansi-dark"


def _freeze_long_lived() -> None:
    """In a class session (one of many app processes on a server), once the learner's lessons are open:
    collect, then move every object alive now (modules, lessons, the app) out of the collector's reach,
    so that the full collection after each step scans only what came later (10 ms instead of 50)."""
    import gc

    gc.collect()
    gc.freeze()


class TutorApp(App[None]):
    """ce-tutor's app. ``library`` is None until the lessons have loaded (after the first frame)."""

    # The browser is the default screen, whose own CSS_PATH Textual does not load: its stylesheet is here.
    CSS_PATH = ["app.tcss", "screens/browser.tcss"]
    TITLE = "ce-tutor"
    COMMANDS = App.COMMANDS | {tutor_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, options: AppOptions, catalog: Catalog | None = None) -> None:
        """``catalog``: the lessons, if the caller has read them already (else they load after the first
        frame)."""
        super().__init__()
        stop_styles_cache_leak()
        self.options = options
        self._catalog = catalog
        self.library: Library | None = None
        self.crash_log: Path | None = None
        self.browser = BrowserScreen()
        self._learner_known = False
        self._waiting: Catalog | None = None
        if options.theme:
            self.theme = options.theme
        elif self.console.color_system in ("standard", "windows"):
            # With 16 colours, the terminal's own palette reads better than approximations of RGB themes.
            self.theme = SIXTEEN_COLOUR_THEME

    def tell(self, message: str, title: str = "", severity: SeverityLevel = "information") -> None:
        """A notification of plain text (file names and lesson text are not markup)."""
        self.notify(message, title=title, severity=severity, markup=False,
                    timeout=3 if severity == "information" else 12)

    # -- start-up ----------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[object]:
        return self.browser

    def on_mount(self) -> None:
        if self.options.class_dir is not None:
            from ce_tutor.tui.screens.who import WhoScreen

            self.push_screen(WhoScreen(self.options.class_dir, self.options.roster), self._signed_in)
        self.call_after_refresh(self.run_worker, self._load, "load", thread=True)

    def _signed_in(self, learner: Learner | None) -> None:
        """A class session: the learner is known, so their progress can be opened."""
        if learner is None:
            return
        self.options.data_dir, self.options.seed = learner.data_dir, learner.seed
        self.sub_title = learner.name
        self.tell(f"Signed in as {learner.name}. Your progress is saved as you go.", "Welcome")
        self._learner_known = True
        if self._waiting is not None:
            catalog, self._waiting = self._waiting, None
            self.call_after_refresh(self._loaded, catalog)  # once the sign-in screen has gone

    def _load(self) -> Catalog:
        from ce_tutor.tui.library import load_lessons

        return load_lessons(self.options, self._catalog)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "load" and event.state is WorkerState.SUCCESS:
            self._loaded(event.worker.result)

    def _loaded(self, catalog: Catalog) -> None:
        from ce_tutor.tui.library import open_library
        from ce_tutor.tui.screens.dialogs import ResumeScreen

        if self.options.class_dir is not None and not self._learner_known:
            self._waiting = catalog  # opened once the learner has signed in
            return
        library = open_library(catalog, self.options)
        self.library = library
        for warning in library.warnings:
            self.tell(warning, "Progress file", "warning")
        if library.store_error:
            self.tell(library.store_error, "Progress will not be saved", "error")
        self.browser.library = library
        if self.options.class_dir is not None:
            self.call_after_refresh(_freeze_long_lived)
        wanted = self.options.lesson
        if wanted is not None:
            self.open_lesson(wanted)
            return
        resumable = library.resumable()
        if resumable is not None:
            lesson_file, progress = resumable
            lesson = lesson_file.lesson
            where = f"step {progress.current_step + 1}/{len(lesson.steps)}"

            def resume(yes: bool | None) -> None:
                if yes:
                    self.open_lesson(lesson.id)

            self.push_screen(ResumeScreen(lesson.title, where), resume)

    # -- lessons -----------------------------------------------------------------------------------------
    @on(BrowserScreen.OpenLesson)
    def _open_from_browser(self, event: BrowserScreen.OpenLesson) -> None:
        self.open_lesson(event.lesson_id)

    def open_lesson(self, lesson_id: str) -> None:
        """Show a lesson in the player (from the browser, the palette, or at start-up)."""
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.tui.screens.player import PlayerScreen

        library = self.library
        if library is None:
            return
        try:
            run = library.start(lesson_id)
        except KeyError:
            self.tell(f"There is no lesson '{lesson_id}'. The lessons are: {', '.join(library.catalog.ids())}.",
                      "Unknown lesson", "error")
            return
        except LessonLoadError as exc:  # a lesson whose values cannot be computed
            self.tell(str(exc), "This lesson cannot be opened", "error")
            return
        missing = next(s.missing for s in library.statuses() if s.id == lesson_id)
        if missing:
            names = ", ".join(library.title(r) for r in missing)
            self.tell(f"This lesson builds on {names}, which you have not finished yet.", "Heads up")
        while self.screen is not self.browser and len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(PlayerScreen(run, ascii=self.options.ascii), self._lesson_closed)

    def _lesson_closed(self, finished: str | None) -> None:
        """Back in the browser; after a finished lesson, the next one is highlighted."""
        if self.library is None or finished is None:
            return
        self.tell(f"{self.library.title(finished)} ✓", "Lesson complete")
        ids = self.library.catalog.ids()
        following = ids[ids.index(finished) + 1] if finished in ids[:-1] else finished
        self.browser.refresh_lessons(select=following)

    def reset_progress(self, lesson_id: str | None) -> None:
        """Ask, then forget the progress of one lesson (or of all of them)."""
        from ce_tutor.tui.screens.dialogs import ConfirmScreen

        library = self.library
        if library is None:
            return
        what = f"your progress in {library.title(lesson_id)}" if lesson_id else "ALL your progress"

        def reset(yes: bool | None) -> None:
            if yes:
                library.reset(lesson_id)
                self.browser.refresh_lessons()
                self.tell(f"Forgot {what}.", "Progress reset")

        self.push_screen(ConfirmScreen(f"Forget {what}? This cannot be undone.", "Reset"), reset)

    # -- actions -----------------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, with its "Keys" panel replaced by the app's help."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
        yield SystemCommand("Keys", "Show every key of ce-tutor (?)", self.action_help)

    def action_help(self) -> None:
        from ce_tutor.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        screen = self.screen
        if isinstance(screen, TutorScreen) and screen.too_small and action != "quit":
            return False
        if action == "help":  # "?" is a character while typing an answer
            return not isinstance(self.focused, Input)
        return True

    def on_unmount(self) -> None:
        if self.library is not None:
            self.library.close()

    # -- unexpected errors -------------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """Log the traceback to a file, then let Textual shut down with return code 1.

        Textual calls this for any unhandled exception; it records the error (``run_test`` re-raises it in
        tests) and exits. What it would print goes to the quiet ``error_console`` that
        :func:`ce_tutor.tui.launch.run` sets up, never to the learner's terminal.
        """
        from ce_tutor.crash import write_crash_log

        if self.crash_log is None:
            self.crash_log = write_crash_log(error, self.options.data_dir)
        super()._handle_exception(error)
