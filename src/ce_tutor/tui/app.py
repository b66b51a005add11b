"""The Textual app: the lesson browser, the lesson player and the dialogs around them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from ce_tutor.text import safe
from ce_tutor.tui import AppOptions
from ce_tutor.tui.screens.base import TutorScreen
from ce_tutor.tui.screens.browser import BrowserScreen
from ce_tutor.tui.workarounds import stop_styles_cache_leak

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.dom import DOMNode
    from textual.timer import Timer

    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.lessons.files import LessonFile
    from ce_tutor.tui.library import Library
    from ce_tutor.tui.screens.who import Learner

# Only what the first frame needs is imported above; the rest is imported when first used, so that the
# app starts as fast as a bare Textual app.


def tutor_commands() -> type[Provider]:
    """The palette's lesson commands (imported when the palette first opens)."""
    from ce_tutor.tui.commands import TutorCommands

    return TutorCommands


SIXTEEN_COLOUR_THEME = "ansi-dark"


class SavingChanged(Message):
    """Progress stopped (``problem``) or started again (``None``) being saved. Posted, not called: the store
    may hear of it in a step's worker thread, and only the app's own thread may touch the screen."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


def _freeze_long_lived() -> None:
    """In a class session (one of many app processes on a server), once the learner's lessons are open:
    collect, then move every object alive now (modules, lessons, the app) out of the collector's reach,
    so that the full collection after each step scans only what came later (10 ms instead of 50)."""
    import gc

    gc.collect()
    gc.freeze()


#: The pending choice that stands for the review (lesson ids cannot start with '-').
REVIEW = "-review"


class TutorApp(App[None]):
    """ce-tutor's app. ``library`` is the lesson list and the learner's progress: known before the first
    frame when the catalog index is up to date, else once the lessons have loaded (after the first frame);
    ``library.catalog``, the lessons themselves, loads in the background once the list is shown."""

    # The browser is the default screen, whose own CSS_PATH Textual does not load: its stylesheet is here.
    CSS_PATH = ["app.tcss", "screens/browser.tcss"]
    TITLE = "ce-tutor"
    COMMANDS = App.COMMANDS | {tutor_commands}
    #: Seconds between tries to save progress while it cannot be saved.
    RETRY_SAVING_S = 5.0
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
    ]

    _key_in_flight: events.Key | None = None  #: the key being handled (see on_event)
    _key_released: events.Key | None = None  #: the waiting key just handed on
    _key_timer: Timer | None = None

    def __init__(self, options: AppOptions, catalog: Catalog | None = None) -> None:
        """``catalog``: the lessons, if the caller has read them already (else they load after the first
        frame)."""
        super().__init__()
        stop_styles_cache_leak()
        self.options = options
        self._catalog = catalog
        self.library: Library | None = None
        self._lessons_ready = False  # the lessons, and what a lesson needs, have loaded (after the list is shown)
        self._warm_started = False
        #: a lesson (or :data:`REVIEW`) chosen before then, opened as soon as it is
        self._pending_lesson: str | None = None
        self.crash_log: Path | None = None
        #: Printed after the app has ended: how much progress could not be saved, if any.
        self.exit_note: str | None = None
        self._saving_retries: Timer | None = None
        #: The terminal went away (see :meth:`_check_terminal`).
        self.hung_up = False
        self.browser = BrowserScreen()
        self._learner_known = False
        self._waiting: Catalog | None = None
        self._keys_waiting: deque[events.Key] = deque()  #: keys typed, in order, not handed on yet
        if options.theme:
            self.theme = options.theme
        elif self.console.color_system in ("standard", "windows"):
            # With 16 colours, the terminal's own palette reads better than approximations of RGB themes.
            self.theme = SIXTEEN_COLOUR_THEME
        if options.class_dir is None:  # the list in the first frame, if it is known without loading lessons
            from ce_tutor.tui.library import quick_library

            self.library = quick_library(options, catalog)
            if self.library is not None:
                self.browser.set_reactive(BrowserScreen.library, self.library)

    @property
    def lessons_ready(self) -> bool:
        """Whether the lessons, and what a lesson needs, have loaded (a lesson chosen now opens at once)."""
        return self._lessons_ready

    def tell(self, message: str, title: str = "", severity: SeverityLevel = "information") -> None:
        """A notification of plain text (file names and lesson text are not markup, and their control
        characters are shown as escapes: :func:`ce_tutor.text.safe`)."""
        self.notify(safe(message), title=safe(title, one_line=True), severity=severity, markup=False,
                    timeout=3 if severity == "information" else 12)

    # -- start-up ----------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[object]:
        return self.browser

    #: Seconds between checks that the terminal is still there.
    HANGUP_CHECK_S = 0.5

    def on_mount(self) -> None:
        from ce_tutor.tui.launch import terminal_input

        fd = terminal_input()
        if fd is not None:  # a terminal (not a browser's pipes): notice if it goes away
            self.set_interval(self.HANGUP_CHECK_S, lambda: self._check_terminal(fd))
        if self.options.class_dir is not None:
            from ce_tutor.tui.screens.who import WhoScreen

            self.push_screen(WhoScreen(self.options.class_dir, self.options.roster), self._signed_in)
        if self.library is not None:
            self._opened(self.library)
        else:
            self.run_worker(self._load, "load", thread=True)

    def _check_terminal(self, fd: int) -> None:
        """A terminal that closed without a SIGHUP (the app started in its own session, or with SIGHUP
        ignored, as under nohup) makes the driver's input thread read nothing, endlessly, at full CPU: end
        the app as a SIGHUP would (progress saved, status 129)."""
        from ce_tutor.tui.launch import HANGUP_STATUS, terminal_hung_up

        if not self.hung_up and terminal_hung_up(fd):
            self.hung_up = True
            self.exit(None, HANGUP_STATUS)

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
        """The lesson catalog (a worker thread): from the lesson cache, without numpy or the player."""
        from ce_tutor.tui.library import load_lessons

        return load_lessons(self.options, self._catalog)

    def _warm(self) -> None:
        """What a lesson needs (a worker thread, once the list is shown): numpy, plotext and the player, and
        the values of the lesson likely to be opened first; then, if the list came from the catalog index,
        the lessons themselves (a lesson chosen meanwhile is taken alone from the lesson cache); then each
        lesson's values."""
        from ce_tutor.tui.library import read_catalog, warm_lessons, warm_player

        library = self.library
        if library is None:
            return
        wanted = self._pending_lesson if self._pending_lesson != REVIEW else None
        warm_player(library, wanted or self.options.lesson)
        self.call_from_thread(self._player_ready)
        catalog = library.catalog
        if catalog is None:
            catalog = read_catalog(self.options, library.index)
            self.call_from_thread(self._attach, catalog)
        warm_lessons(catalog.lessons)

    def _player_ready(self) -> None:
        """A lesson can be opened now: open the one chosen meanwhile, if any."""
        self._lessons_ready = True
        self.browser.opening(None)
        if self.options.class_dir is not None:
            # Now, before a lesson chosen meanwhile opens: frozen, its first step would never be freed.
            _freeze_long_lived()
        self._open_pending()

    def _open_pending(self) -> None:
        pending, self._pending_lesson = self._pending_lesson, None
        if pending == REVIEW:
            self.open_review()
        elif pending is not None:
            self.open_lesson(pending)

    def _attach(self, catalog: Catalog) -> None:
        """The lessons have loaded in the background: if they differ from the list shown (a file changed
        since the index was checked), show them as they are; open what waited for them."""
        if self.library is not None and self.library.attach(catalog):
            self.browser.catalog_changed()
        if self._lessons_ready:
            self.browser.opening(None)
            self._open_pending()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "load" and event.state is WorkerState.SUCCESS:
            self._loaded(event.worker.result)
        elif event.worker.name == "warm" and event.state is WorkerState.ERROR and not self._lessons_ready:
            self._lessons_ready = True  # opening a lesson imports (and reports) what failed again
            self.browser.opening(None)

    def _loaded(self, catalog: Catalog) -> None:
        from ce_tutor.tui.library import open_library

        if self.options.class_dir is not None and not self._learner_known:
            self._waiting = catalog  # opened once the learner has signed in
            return
        from ce_tutor.lessons.index import summarize

        self._opened(open_library(summarize(catalog), self.options, catalog))

    def _opened(self, library: Library) -> None:
        """The list and the learner's progress are known: show them, say what went wrong opening the
        progress, then open what the command line asked for (or offer to resume)."""
        self.library = library
        if library.warnings:
            self.tell("\n".join(library.warnings), "Progress file", "warning")
        if library.store is not None:
            library.store.on_saving_change = lambda problem: self.post_message(SavingChanged(problem))
            if library.store.not_saving is not None:
                self._retry_saving_soon()
        if library.store_error:
            self.tell(library.store_error, "Progress will not be saved", "error")
        if self.browser.library is not library:
            self.browser.library = library
        if self.options.review:
            self.open_review()
            return
        wanted = self.options.lesson
        if wanted is not None:
            self.open_lesson(wanted)
            return
        resumable = library.resumable()
        if resumable is not None:
            from ce_tutor.tui.screens.dialogs import ResumeScreen

            lesson, progress = resumable
            where = f"step {progress.current_step + 1}/{lesson.steps}"

            def resume(yes: bool | None) -> None:
                if yes:
                    self.open_lesson(lesson.id)

            self.push_screen(ResumeScreen(safe(lesson.title, one_line=True), where), resume)

    def on_saving_changed(self, message: SavingChanged) -> None:
        """Said once when progress stops being saved (the session goes on), and once when it works again."""
        problem = message.problem
        if problem is not None:
            self.tell(problem, "Progress not saved", "error")
            self._retry_saving_soon()
        else:
            self.tell("Everything you did is saved now.", "Progress saved again")

    def _retry_saving_soon(self) -> None:
        """While progress is not being saved, try again every few seconds, even if the learner is only
        reading (each try waits at most :data:`ce_tutor.progress.RETRY_TIMEOUT_S` for a lock)."""
        if self._saving_retries is not None:
            return

        def retry() -> None:
            store = self.library.store if self.library is not None else None
            if store is None or store.not_saving is None or store.retry():
                if self._saving_retries is not None:
                    self._saving_retries.stop()
                self._saving_retries = None

        self._saving_retries = self.set_interval(self.RETRY_SAVING_S, retry)

    # -- lessons -----------------------------------------------------------------------------------------
    #: Seconds between painting the list and starting to load the lessons (a thread that imports numpy holds
    #: the GIL for long stretches: started at once, it delays the frame's bytes on their way to the terminal).
    WARM_AFTER_S = 0.05

    @on(BrowserScreen.ListShown)
    def _list_shown(self) -> None:
        """Only once the list is on the screen, and its frame written: what lessons need, in a worker (a
        thread that imports numpy while the list is drawn would hold the GIL and delay it)."""
        if not self._warm_started:  # once: the list is shown again after each lesson
            self._warm_started = True
            self.set_timer(self.WARM_AFTER_S, lambda: self.run_worker(self._warm, "warm", thread=True))

    @on(BrowserScreen.OpenLesson)
    def _open_from_browser(self, event: BrowserScreen.OpenLesson) -> None:
        self.open_lesson(event.lesson_id)

    @on(BrowserScreen.OpenReview)
    def _review_from_browser(self) -> None:
        self.open_review()

    def open_review(self) -> None:
        """Review the due cards (from the lesson list, or at start-up with ``ce-tutor review``)."""
        from ce_tutor.review.session import Review, nothing_due
        from ce_tutor.tui.screens.review import ReviewScreen

        library = self.library
        if library is None or library.store is None:
            return
        if not self._lessons_ready or library.catalog is None:  # chosen at once: opened when the lessons are
            self._pending_lesson = REVIEW
            self.browser.opening("the review")
            return
        review = Review(library.store, library.catalog, library.seed)
        for gone in review.unavailable:
            message = f"{gone.card.lesson_id}/{gone.card.quiz_id}: {gone.reason}."
            self.tell(safe(message, one_line=True), "A card is left out", "warning")
        if review.total == 0:
            self.tell(nothing_due(library.store.next_due()), "Review")
            return
        while self.screen is not self.browser and len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ReviewScreen(review), lambda _: self.browser.refresh_lessons())

    def _compute_values(self, lf: LessonFile, lesson_id: str) -> None:
        """A lesson's values (a worker thread: they may take up to the lesson's budget), then open it."""
        from ce_tutor.lessons.catalog import lesson_env
        from ce_tutor.lessons.problems import LessonLoadError

        try:
            lesson_env(lf)
        except LessonLoadError:
            pass  # remembered: open_lesson reports it
        self.call_from_thread(self._values_computed, lesson_id)

    def _values_computed(self, lesson_id: str) -> None:
        self.browser.opening(None)
        self.open_lesson(lesson_id)

    def open_lesson(self, lesson_id: str) -> None:
        """Show a lesson in the player (from the browser, the palette, or at start-up)."""
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.lessons.runtime import env_known
        from ce_tutor.tui.screens.player import PlayerScreen

        library = self.library
        if library is None:
            return
        if not self._lessons_ready:  # chosen at once: say so, keep the keys working, and open it when ready
            self._pending_lesson = lesson_id
            self.browser.opening(library.title(lesson_id))
            return
        lf = library.lesson_file(lesson_id)
        if library.catalog is None and lf is None:
            # not in the lesson cache (or not a lesson): wait for the catalog, which validates what it lacks
            self._pending_lesson = lesson_id
            self.browser.opening(library.title(lesson_id))
            return
        if lf is not None and not env_known(lf):  # its values are heavy work: computed in a worker first
            self.browser.opening(library.title(lesson_id))
            self.run_worker(partial(self._compute_values, lf, lesson_id), "values", thread=True, group="values",
                            exclusive=True)
            return
        try:
            run = library.start(lesson_id)
        except KeyError:
            self.tell(f"There is no lesson '{lesson_id}'. The lessons are: {', '.join(library.index.ids())}.",
                      "Unknown lesson", "error")
            return
        except LessonLoadError as exc:  # a lesson whose values cannot be computed
            self.tell(str(exc), "This lesson cannot be opened", "error")
            return
        # Said in the header, at the right of the step's title: a toast would cover the first plot's legend.
        missing = next((s.missing for s in library.statuses() if s.id == lesson_id), ())
        note = f"needs: {', '.join(library.title(r) for r in missing)}" if missing else ""  # as in the list
        self.browser.completed(None)
        while self.screen is not self.browser and len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(PlayerScreen(run, ascii=self.options.ascii, note=note), self._lesson_closed)

    def _lesson_closed(self, finished: str | None) -> None:
        """Back in the browser; after a finished lesson, the next one is highlighted."""
        if self.library is None or finished is None:
            return
        ids = self.library.index.ids()
        # said in the browser's own layout, not in a toast that would cover the next lesson's first plot
        notice = f"✓ Lesson complete: {self.library.title(finished)}."
        following = ids[ids.index(finished) + 1] if finished in ids[:-1] else finished
        if finished == ids[-1]:
            still_open = [s for s in self.library.statuses() if not s.complete]
            if still_open:
                notice += f" That was the last lesson; still open: {'; '.join(s.title for s in still_open)}."
                following = still_open[0].id  # highlighted, so that Enter opens it
            else:
                notice += " That was the last lesson, and you have finished them all. Well done!"
        self.browser.completed(notice)
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
                from ce_tutor.progress import ProgressError

                try:
                    library.reset(lesson_id)
                except ProgressError as exc:
                    self.tell(str(exc), "Nothing was reset", "error")
                    return
                self.browser.refresh_lessons()
                self.tell(f"Forgot {what}.", "Progress reset")

        self.push_screen(ConfirmScreen(safe(f"Forget {what}? This cannot be undone."), "Reset"), reset)

    # -- keys --------------------------------------------------------------------------------------------
    # Textual hands a key to the focused widget, which handles it and passes it up to its parents, and
    # only then do the key bindings run: several hops through message queues. Meanwhile it goes on with
    # the next key, so a fast typist's second key could reach a widget on its way out (a step being
    # replaced), or the widget focused before the first key moved the focus, and was lost. So keys are
    # handed on one at a time: the next waits until the one before has been handled all the way up (or
    # stopped on the way), and until the screen can take it (TutorScreen.takes_key_now: not while a step
    # loads). Quitting and Esc never wait.
    KEYS_AT_ONCE = frozenset({"ctrl+q", "ctrl+c", "escape"})
    #: A key whose way up cannot be followed (its widget removed meanwhile) holds the next this long at most.
    KEY_STUCK_S = 1.0

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key):
            await super().on_event(event)
        elif event.is_forwarded:  # back up from the widgets: its bindings run now, then it is handled
            await super().on_event(event)
            self._key_handled(event)
        elif self._key_waits(event):
            return
        else:
            self._key_in_flight = event
            target = self.focused or (self.screen if self.screen_stack else None)
            await super().on_event(event)
            if event.is_forwarded and target is not None:
                self._follow_key(event, target)
            else:  # a priority binding took it (or nothing could)
                self._key_handled(event)

    def _key_waits(self, event: events.Key) -> bool:
        """Whether ``event`` waits (kept in order in ``_keys_waiting``) instead of being handled now."""
        if event.key in self.KEYS_AT_ONCE:
            return False
        released = event is self._key_released
        if released:
            self._key_released = None
        waiting = self._keys_waiting
        if not released and (self._key_in_flight is not None or waiting or self._key_released is not None):
            waiting.append(event)
            if self._key_timer is None:
                self._key_timer = self.set_timer(self.KEY_STUCK_S, self._key_stuck)
            return True
        screen = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(screen, TutorScreen) and not screen.takes_key_now(event):
            waiting.appendleft(event)  # first in line when the screen is ready (TutorScreen.release_keys)
            return True
        return False

    def _follow_key(self, event: events.Key, node: DOMNode) -> None:
        """Once ``node`` has handled ``event``: done if it stopped there, else follow it to the parent."""

        def handled_here() -> None:
            if node.parent is self or node.parent is None:
                # The screen passes it up to the app (even marked stopped: Textual stops a message at its
                # sender), where it is ahead of this check in the queue, and on_event sees it handled.
                self.call_later(self._key_handled, event)
            elif event._stop_propagation or not event.bubble:
                self._key_handled(event)
            else:
                self._follow_key(event, node.parent)

        if not node.call_later(handled_here):  # the node is going away, and the key with it
            self._key_handled(event)

    def _key_handled(self, event: events.Key) -> None:
        if self._key_in_flight is event:
            self._key_in_flight = None
            self.keys_ready()

    def keys_ready(self) -> None:
        """Hand on the next key that waited (behind what the last one queued, a change of focus say)."""
        if self._key_in_flight is None and self._keys_waiting and self._key_released is None:
            self._key_released = self._keys_waiting.popleft()
            self.post_message(self._key_released)
        if self._key_timer is not None:
            if self._keys_waiting:
                self._key_timer.reset()  # keys go on: only one held up this long is stuck
            else:
                self._key_timer.stop()
                self._key_timer = None

    def _key_stuck(self) -> None:
        """A key handed on long ago was never seen handled (its widget was removed with it): go on."""
        self._key_timer = None
        stuck = self._key_in_flight
        if stuck is not None:
            self._key_handled(stuck)
        elif self._keys_waiting:
            self.keys_ready()

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

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Exit, first stopping any lesson work still running in a worker thread (so the app closes at
        once instead of waiting for it)."""
        for screen in self.screen_stack:
            cancel = getattr(screen, "cancel_work", None)
            if cancel is not None:
                cancel()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        if self.library is not None:
            if self.library.store is not None:  # what could not be saved is told after the screen is restored
                self.library.store.on_saving_change = self._unsaved_at_exit
            self.library.close()

    def _unsaved_at_exit(self, problem: str | None) -> None:
        self.exit_note = problem

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
