"""The app's behaviour, driven with Pilot on the small test lessons in ``data/``."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Footer, OptionList, Static
from tui_helpers import BROKEN, LESSONS, loaded, make_app, settled, shown, type_text

from ce_tutor.progress import ProgressStore
from ce_tutor.tui import AppOptions, run
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.colors import plot_colors, theme_color
from ce_tutor.tui.commands import TutorCommands
from ce_tutor.tui.screens.browser import BrowserScreen, LessonDetails, Masthead
from ce_tutor.tui.screens.dialogs import ConfirmScreen, ResumeScreen
from ce_tutor.tui.screens.help import HelpScreen
from ce_tutor.tui.screens.player import PlayerScreen
from ce_tutor.tui.widgets.explorer import ExplorerView
from ce_tutor.tui.widgets.lesson_list import LessonList
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.quiz import AnswerInput, FeedbackPanel, QuizView
from ce_tutor.tui.widgets.step_header import StepHeader
from ce_tutor.tui.widgets.steps import ProseView
from ce_tutor.tui.widgets.too_small import TooSmall

Scenario = Callable[[Pilot[Any]], Awaitable[None]]


def play(app: TutorApp, scenario: Scenario, size: tuple[int, int] = (80, 24)) -> None:
    """Run ``scenario`` against ``app`` once its lessons have loaded."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await scenario(pilot)

    asyncio.run(main())


def notes(app: TutorApp) -> list[str]:
    """Every notification the app shows from now on, as "title: message"."""
    seen: list[str] = []
    tell = app.notify

    def record(message: str, **kwargs: Any) -> None:
        seen.append(f"{kwargs.get('title', '')}: {message}")
        tell(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return seen


def text_of(widget: Static) -> str:
    return str(widget.render())


def complete(data_dir: Path, lesson_id: str, n_steps: int) -> None:
    with ProgressStore(data_dir) as store:
        store.complete_lesson(lesson_id, n_steps)


async def open_first_lesson(pilot: Pilot[Any], steps_forward: int = 0) -> PlayerScreen:
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(steps_forward):
        await pilot.press("n")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PlayerScreen)
    return screen


# -- start-up ------------------------------------------------------------------------------------------------
def test_the_first_frame_needs_no_numpy_pydantic_yaml_or_plotext():
    code = (
        "import sys\n"
        "from ce_tutor.tui import AppOptions\n"
        "from ce_tutor.tui.app import TutorApp\n"
        "TutorApp(AppOptions(lesson_dirs=[]))\n"
        "print(sorted(m for m in ('numpy', 'pydantic', 'yaml', 'plotext', 'textual_plotext') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lessons_load_after_the_first_frame(tmp_path, monkeypatch):
    import ce_tutor.tui.library

    go = threading.Event()
    load = ce_tutor.tui.library.load_lessons

    def held(options: AppOptions, catalog: object = None) -> object:
        go.wait(10)
        return load(options, catalog)

    monkeypatch.setattr(ce_tutor.tui.library, "load_lessons", held)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Loading lessons…" in text_of(app.screen.query_one("#loading", Static))
            assert app.screen.query_one(Footer).display  # the frame is up, keys work
            go.set()
            await loaded(pilot)
            assert not app.screen.query("#loading") and app.screen.query_one(LessonList).option_count == 2

    asyncio.run(main())


def test_lessons_read_before_the_app_are_not_read_again(tmp_path, monkeypatch):
    """``ce-tutor LESSON`` reads the lessons to check the name; the app then takes them as they are."""
    import ce_tutor.tui.library

    options = AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, seed=1, lesson="after")
    catalog = ce_tutor.tui.library.read_catalog(options)

    def again(options: AppOptions) -> object:
        raise AssertionError("the lessons were read a second time")

    monkeypatch.setattr(ce_tutor.tui.library, "read_catalog", again)
    app = TutorApp(options, catalog)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            assert app.library is not None and app.library.catalog is catalog
            assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "after"

    asyncio.run(main())


def test_a_later_start_shows_the_list_at_once_and_follows_lessons_changed_meanwhile(tmp_path, monkeypatch):
    """With the catalog index up to date, the list is known before the first frame; the lessons load in the
    background, and if they differ from the index (a file changed in between), the list shows them."""
    import ce_tutor.tui.library
    from ce_tutor.lessons.catalog import Catalog

    options = AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, seed=1)
    read = ce_tutor.tui.library.read_catalog
    read(options)  # an earlier start
    app = TutorApp(options)
    assert app.library is not None and app.library.catalog is None  # the list, not yet the lessons
    go = threading.Event()

    def changed(options: AppOptions, shown: object = None) -> Catalog:
        go.wait(10)
        catalog = read(options, shown)
        return Catalog(catalog.lessons[:1], catalog.problems)  # the second lesson went away meanwhile

    monkeypatch.setattr(ce_tutor.tui.library, "read_catalog", changed)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert not app.screen.query("#loading")
            assert app.screen.query_one(LessonList).option_count == 2
            go.set()
            await loaded(pilot)
            assert app.library.catalog is not None
            assert app.screen.query_one(LessonList).option_count == 1
            assert app.screen.query_one(Masthead).tally == "0 of 1 lessons done"

    asyncio.run(main())


@pytest.mark.parametrize("cached", [True, False], ids=["in the cache", "not in the cache"])
def test_a_lesson_opened_while_the_catalog_loads_is_taken_alone_from_the_cache(tmp_path, monkeypatch, cached):
    """A catalog of thousands takes seconds to load in the background; a lesson chosen meanwhile opens at
    once from its cache entry. One whose entry is missing waits for the catalog (which validates it)."""
    import ce_tutor.tui.library

    options = AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, seed=1)
    read = ce_tutor.tui.library.read_catalog
    read(options)  # an earlier start
    if not cached:
        for entry in (tmp_path / "cache" / "lessons").glob("*.pickle"):
            entry.unlink()
    go = threading.Event()
    monkeypatch.setattr(ce_tutor.tui.library, "read_catalog", lambda *a: (go.wait(10), read(*a))[1])
    app = TutorApp(options)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(200):
                if app.lessons_ready:
                    break
                await pilot.pause(0.05)
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert app.library.catalog is None  # still loading
            if cached:
                assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "basics"
            else:
                assert not isinstance(app.screen, PlayerScreen)
                assert app.screen.query_one(Masthead).tally.startswith("Opening Basics")
            go.set()
            await loaded(pilot)
            for _ in range(100):
                if isinstance(app.screen, PlayerScreen):
                    break
                await pilot.pause(0.05)
            assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "basics"

    asyncio.run(main())


def test_a_lesson_whose_values_take_long_opens_from_a_worker_and_ctrl_q_answers_meanwhile(tmp_path, monkeypatch):
    """A lesson's values may take up to its budget (2 s): they are computed in a worker, never on the app's
    thread, so the list says "Opening …" and Ctrl+Q ends the app while they compute."""
    from ce_tutor.lessons import runtime

    armed, computing, release = threading.Event(), threading.Event(), threading.Event()
    compute = runtime.values.compute

    def slow(specs: object, env: dict) -> dict:
        if specs and armed.is_set():  # the basics lesson has values: held until released
            computing.set()
            release.wait(10)
        return compute(specs, env)

    monkeypatch.setattr(runtime.values, "compute", slow)
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            armed.set()
            runtime._ENVS.clear()  # as if the background had not reached it yet
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert computing.is_set() and not release.is_set()
            assert app.screen.query_one(Masthead).tally.startswith("Opening Basics")
            await pilot.press("down")  # the keys work meanwhile
            assert app.screen.query_one(LessonList).highlighted == 1
            await pilot.press("ctrl+q")
            await pilot.pause(0.1)
            assert not release.is_set()  # still computing, and yet:
        assert app.return_code == 0
        release.set()

    asyncio.run(main())


# -- the browser ---------------------------------------------------------------------------------------------
def test_browser_shows_progress_next_up_and_prerequisites(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        lessons = app.screen.query_one(LessonList)
        statuses = {s.id: s for s in lessons.statuses}
        assert statuses["basics"].next_up and not statuses["basics"].complete
        assert statuses["after"].missing == ("basics",)
        assert lessons.highlighted_option.id == "basics"
        assert "0 of 2 lessons done" in app.screen.query_one(Masthead).tally
        rows = shown(lessons)
        assert "1. Basics: one of each step" in rows and "▶ next up" in rows
        assert "2. After: builds on the basics" in rows and "needs: Basics: one of each step" in rows
        assert statuses["after"].missing_titles == ("Basics: one of each step",)

    play(app, scenario)


def test_browser_after_a_finished_lesson(tmp_path):
    complete(tmp_path, "basics", 5)
    app = make_app(tmp_path)

    async def scenario(pilot):
        lessons = app.screen.query_one(LessonList)
        statuses = {s.id: s for s in lessons.statuses}
        assert statuses["basics"].complete and statuses["after"].next_up and not statuses["after"].missing
        assert lessons.highlighted_option.id == "after"
        assert "1 of 2 lessons done" in app.screen.query_one(Masthead).tally
        await pilot.press("up")
        assert "done" in text_of(app.screen.query_one(LessonDetails))

    play(app, scenario)


def test_broken_lesson_files_are_a_notice_not_a_crash(tmp_path):
    app = make_app(tmp_path, lessons=[LESSONS, BROKEN])

    async def scenario(pilot):
        notice = app.screen.query_one("#problems")
        assert "some lesson files have problems" in str(notice.border_title).lower()
        assert "bad.yaml:6: steps[0]: unknown step type 'poetry'" in text_of(notice.query_one(Static))
        assert [s.id for s in app.screen.query_one(LessonList).statuses] == ["basics", "after"]

    play(app, scenario)


def test_no_lessons_at_all(tmp_path):
    app = make_app(tmp_path, lessons=[tmp_path / "empty"])

    async def scenario(pilot):
        assert "No lessons found" in text_of(app.screen.query_one("#empty", Static))
        await pilot.press("enter", "down", "n", "question_mark", "escape")

    play(app, scenario)


def test_opening_a_lesson_before_its_prerequisite_says_so_gently_where_it_covers_nothing(tmp_path):
    app = make_app(tmp_path)
    seen = notes(app)

    async def scenario(pilot):
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "after"
        header = app.screen.query_one(StepHeader)
        lines = [line.text for line in header.render_lines(header.region.reset_offset)]
        assert lines[1].rstrip().endswith("needs: Basics: one of each step")
        assert seen == []  # no toast over the step
        await pilot.press("escape", "up", "enter")  # the basics: nothing to say
        await pilot.pause()
        header = app.screen.query_one(StepHeader)
        assert app.screen.run.lesson.id == "basics"
        lines = [line.text for line in header.render_lines(header.region.reset_offset)]
        assert "needs" not in lines[1]

    play(app, scenario)


def test_progress_store_warnings_are_shown_once(tmp_path):
    (tmp_path / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
    app = make_app(tmp_path)
    seen = notes(app)

    async def scenario(pilot):
        await pilot.press("enter", "escape")
        assert len([n for n in seen if n.startswith("Progress file:")]) == 1
        assert "moved it to" in seen[0]

    play(app, scenario)


def test_a_progress_file_from_a_newer_version_leaves_lessons_usable(tmp_path):
    with sqlite3.connect(tmp_path / "progress.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    app = make_app(tmp_path)
    seen = notes(app)

    async def scenario(pilot):
        assert "Progress will not be saved" in text_of(app.screen.query_one("#store-error", Static))
        assert any(n.startswith("Progress will not be saved") for n in seen)
        player = await open_first_lesson(pilot, steps_forward=1)
        assert player.run.index == 1

    play(app, scenario)


# -- resuming ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "resumed"), [("enter", True), ("escape", False)])
def test_resume_offer(tmp_path, key, resumed):
    with ProgressStore(tmp_path) as store:
        store.visit_step("basics", 2, 5)
    app = make_app(tmp_path)

    async def scenario(pilot):
        dialog = app.screen
        assert isinstance(dialog, ResumeScreen)
        assert dialog.question == "Resume Basics: one of each step at step 3/5?"
        await pilot.press(key)
        await pilot.pause()
        if resumed:
            assert isinstance(app.screen, PlayerScreen) and app.screen.run.index == 2
        else:
            assert isinstance(app.screen, BrowserScreen)

    play(app, scenario)


def test_reopening_resumes_at_the_same_step(tmp_path):
    async def first(pilot):
        await open_first_lesson(pilot, steps_forward=3)
        await pilot.press("ctrl+q")

    play(make_app(tmp_path), first)

    async def second(pilot):
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PlayerScreen) and pilot.app.screen.run.index == 3

    play(make_app(tmp_path), second)


def test_lesson_option_opens_that_lesson(tmp_path):
    app = make_app(tmp_path, lesson="after")

    async def scenario(pilot):
        assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "after"

    play(app, scenario)


def test_unknown_lesson_option_names_the_lessons(tmp_path):
    app = make_app(tmp_path, lesson="nope")
    seen = notes(app)

    async def scenario(pilot):
        assert isinstance(app.screen, BrowserScreen)
        assert any("no lesson 'nope'" in n and "basics, after" in n for n in seen)

    play(app, scenario)


# -- the player ----------------------------------------------------------------------------------------------
def test_navigation_keys_and_header(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot)
        assert isinstance(player.query_one("#step").children[0], ProseView)
        assert "previous" not in {b.binding.action for b in player.active_bindings.values()}
        await pilot.press("n", "right")
        assert player.run.index == 2 and isinstance(app.focused, ExplorerView)
        await pilot.press("p")  # in an explorer, p still goes back (← moves the value)
        assert player.run.index == 1
        await pilot.press("left")
        assert player.run.index == 0
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)

    play(app, scenario)


def test_finishing_a_lesson(tmp_path):
    complete(tmp_path, "after", 1)  # so that "next" after basics goes to after
    app = make_app(tmp_path)
    seen = notes(app)

    async def scenario(pilot):
        player = await open_first_lesson(pilot)
        player.run.go(player.run.n_steps - 1)
        await player.show_step()
        await pilot.pause()  # the step is computed in a worker: wait until it is shown
        assert "finish" in {b.binding.action for b in player.active_bindings.values()}
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert app.screen.query_one(LessonList).highlighted_option.id == "after"
        notice = app.screen.query_one("#completed", Static)
        assert notice.display and text_of(notice) == "✓ Lesson complete: Basics: one of each step."
        assert seen == []  # no toast: it would cover the next lesson's first plot
        await pilot.press("enter")  # the next lesson opens with nothing over it
        await pilot.pause()
        assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "after"
        assert not app._notifications and not notice.display

    play(app, scenario)
    with ProgressStore(tmp_path) as store:
        assert store.lesson("basics").complete


def test_finishing_the_last_lesson_names_the_lessons_still_open(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        app.open_lesson("after")  # the last lesson, with basics never started
        await pilot.pause()
        player = app.screen
        player.run.go(player.run.n_steps - 1)
        await player.show_step()
        await pilot.press("n")
        await pilot.pause()
        notice = text_of(app.screen.query_one("#completed", Static))
        assert "✓ Lesson complete: After: builds on the basics." in notice
        assert "still open: Basics: one of each step." in notice and "Well done" not in notice
        assert app.screen.query_one(LessonList).highlighted_option.id == "basics"  # Enter opens it

    play(app, scenario)


def test_n_pressed_quickly_through_a_quiz_types_nothing_into_its_answer_box(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot, steps_forward=2)  # the explorer, just before two quizzes
        await pilot.press("n", "n")
        await pilot.pause()
        assert player.run.index == 4  # the second n moved on through the first quiz
        view = player.query_one(QuizView)
        assert view.answer_box.value == "" and app.focused is view
        keys = {b.binding.action: b.binding.description for b in player.active_bindings.values()
                if b.binding.show}
        assert keys.get("answer") == "Answer"  # the footer says how to get into the box
        await pilot.press("p")
        await pilot.pause()
        first = player.query_one(QuizView)
        assert first.answer_box.value == "" and app.focused is first
        await pilot.press("tab")  # Tab moves into the box, as Enter does; there n is a letter
        assert app.focused is first.answer_box
        await pilot.press("n")
        assert first.answer_box.value == "n" and player.run.index == 3
        await pilot.press("escape", "p", "n")  # back to the quiz, its box left as it was
        await pilot.pause()
        again = player.query_one(QuizView)
        await pilot.press("enter", "0", ".", "5", "7")  # typed at once after Enter: nothing is lost
        assert again.answer_box.value == "0.57" and app.focused is again.answer_box
        await pilot.press("escape", "p", "n")
        await pilot.pause()
        burst = player.query_one(QuizView)
        # keys that arrive faster than the focus moves (a paste, a script): all reach the box, in order,
        # and the last Enter checks the answer
        for key, character in [("enter", "\r"), ("1", "1"), ("full_stop", "."), ("5", "5"), ("enter", "\r")]:
            app.post_message(events.Key(key, character))
        await pilot.pause(0.2)
        assert burst.answer_box.value == "1.5" and burst.session.last_feedback is not None
        assert burst.query_one(FeedbackPanel).border_title is not None

    play(app, scenario)


def test_misconception_feedback_is_reflowed_like_prose(tmp_path):
    from ce_tutor import formula
    from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir

    shipped = load_catalog([shipped_lessons_dir()]).get("softmax")
    index, step = next((i, s) for i, s in enumerate(shipped.lesson.steps)
                       if getattr(s, "misconceptions", None) and "\n" in s.misconceptions[0].feedback.strip())
    app = make_app(tmp_path, lessons=[shipped_lessons_dir()])

    async def scenario(pilot):
        app.open_lesson("softmax")
        await pilot.pause()
        player = app.screen
        player.run.go(index)
        await player.show_step()
        await pilot.pause()  # the step is computed in a worker: wait until it is shown
        view = player.query_one(QuizView)
        variant = view.session.variant
        value = float(formula.parse(step.misconceptions[0].answer).evaluate(variant.values))
        await pilot.press("enter")
        await type_text(pilot, f"{value:.4f}")
        await pilot.press("enter")
        await pilot.pause()
        panel = view.query_one(FeedbackPanel)
        assert panel.has_class("-misconception")
        expected = " ".join(variant.render(step.misconceptions[0].feedback).split())
        assert text_of(panel).split("\n")[0] == expected  # one paragraph, wrapped by the panel itself

    play(app, scenario)


def test_explorer_keys(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await open_first_lesson(pilot, steps_forward=2)
        view = app.screen.query_one(ExplorerView)
        explorer = view.explorer
        await pilot.press("right")  # the row shows the value at once (view.values); the explorer follows
        assert view.values["q"] == 0.55
        await pilot.press("minus", "minus")
        assert view.values["q"] == 0.45
        await pilot.press("shift+right")
        assert view.values["q"] == 0.95
        await pilot.press("pagedown")
        assert view.values["q"] == 0.45
        await pilot.press("tab", "plus")
        assert view.values["w"] == 1.5
        await pilot.press("up", "left")
        assert view.values["q"] == 0.4
        await settled(pilot)
        assert explorer.values == {"q": 0.4, "w": 1.5}
        line = view.query_one("#lines").query_one(Static)
        assert shown(line).strip() == f"loss = {-1.5 * math.log(0.4):.3f}"
        await pilot.press("r")
        assert view.values == {"q": 0.5, "w": 1.0}
        await settled(pilot)
        assert explorer.values == {"q": 0.5, "w": 1.0}
        await pilot.click(view.query("ParamRow").last())
        assert view.selected == 1

    play(app, scenario)


def test_quiz_hint_solution_new_numbers_and_unreadable_answers(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot, steps_forward=3)
        view = player.query_one(QuizView)
        session = view.session
        assert app.focused is view  # n and p still change steps until the learner moves into the box
        await pilot.press("enter")
        assert isinstance(app.focused, AnswerInput)
        shown = {b.binding.action for b in player.active_bindings.values() if b.binding.show}
        assert "next" not in shown and "help" not in shown, "n and ? are letters while typing"
        await type_text(pilot, "what?")
        await pilot.press("enter")
        panel = view.query_one(FeedbackPanel)
        assert panel.has_class("-unreadable") and session.attempts == 0
        assert "did not count" in text_of(panel)
        await pilot.press("ctrl+t")
        assert len(session.hints_shown) == 1
        assert session.hints_shown[0] in text_of(view.query_one("#hints", Static))
        await pilot.press("ctrl+o")
        assert session.solution_shown
        assert "So the loss is" in text_of(view.query_one("#solution", Static))
        first = session.variant.index
        await pilot.press("ctrl+r")
        assert session.variant.index == first + 1 and not session.solution_shown
        assert not view.query_one("#solution").has_class("-shown")
        await pilot.press("escape")  # leaves the answer box; then n moves on
        assert app.focused is view
        await pilot.press("n")
        assert player.run.index == 4

    play(app, scenario)


def test_a_quiz_is_as_it_was_left(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot, steps_forward=3)
        await pilot.press("enter")  # into the answer box
        await type_text(pilot, "7")
        await pilot.press("enter", "escape", "p", "n")
        await pilot.pause()
        panel = player.query_one(FeedbackPanel)
        assert panel.has_class("-wrong") and "too big" in text_of(panel)

    play(app, scenario)


def test_ascii_plots_use_plain_ascii(tmp_path):
    app = make_app(tmp_path, ascii=True)

    async def scenario(pilot):
        await open_first_lesson(pilot, steps_forward=1)
        plot = app.screen.query_one(LessonPlot)
        picture = str(plot.render())
        assert "-log p" in picture and picture.isascii()
        assert plot.data is not None and len(plot.data.series[0].x) <= plot.size.width

    play(app, scenario)


# -- help, palette, themes -----------------------------------------------------------------------------------
def test_help_overlay(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        for close in ("question_mark", "escape", "q"):
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(close)
            assert isinstance(app.screen, BrowserScreen)

    play(app, scenario)


def test_palette_commands(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        provider = TutorCommands(app.screen)
        found = [hit.text async for hit in provider.search("reset progress basics")]
        assert found and found[0] == "Reset progress: Basics: one of each step"
        listed = [hit.text async for hit in provider.discover()]
        assert "Open lesson: After: builds on the basics" in listed and "Reset all progress" in listed
        themes = [hit.text async for hit in provider.search("theme nord")]
        assert "Theme: nord" in themes
        keys = [c for c in app.get_system_commands(app.screen) if c.title == "Keys"]
        assert len(keys) == 1
        keys[0].callback()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)

    play(app, scenario)


async def run_command(pilot: Pilot[Any], query: str) -> None:
    await pilot.press("ctrl+p")
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, query)
    options = pilot.app.screen.query_one(OptionList)
    for _ in range(100):
        if options.option_count:
            break
        await pilot.pause(0.02)
    await pilot.press("down", "enter")
    await pilot.pause()


def test_palette_opens_a_lesson_and_switches_theme(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await run_command(pilot, "Open lesson: After")
        assert isinstance(app.screen, PlayerScreen) and app.screen.run.lesson.id == "after"
        await run_command(pilot, "Theme: nord")
        assert app.theme == "nord"

    play(app, scenario)


@pytest.mark.parametrize(("key", "reset"), [("enter", True), ("escape", False)])
def test_reset_progress_asks_first(tmp_path, key, reset):
    complete(tmp_path, "basics", 5)
    app = make_app(tmp_path)

    async def scenario(pilot):
        app.reset_progress("basics")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(key)
        await pilot.pause()
        statuses = {s.id: s for s in app.screen.query_one(LessonList).statuses}
        assert statuses["basics"].complete is not reset

    play(app, scenario)


def test_unknown_theme_is_a_usage_error(capsys):
    assert run(AppOptions(lesson_dirs=[LESSONS], theme="no-such-theme")) == 2
    err = capsys.readouterr().err
    assert "unknown theme 'no-such-theme'" in err and "nord" in err and "textual-dark" in err


def test_an_unknown_lesson_is_a_usage_error_before_the_app_starts(tmp_path, capsys):
    assert run(AppOptions(lesson_dirs=[LESSONS], data_dir=tmp_path, lesson="basic")) == 2
    err = capsys.readouterr().err
    assert err == "ce-tutor: no lesson 'basic'. Did you mean 'basics'? Lessons: basics, after.\n"


def test_a_theme_by_name(tmp_path):
    app = make_app(tmp_path, theme="textual-light")

    async def scenario(pilot):
        assert app.theme == "textual-light"

    play(app, scenario)


@pytest.mark.parametrize(("colours", "theme", "expected"), [
    ("standard", None, "ansi-dark"),  # 16 colours: the terminal's own palette
    ("standard", "nord", "nord"),
    ("256", None, "textual-dark"),
])
def test_sixteen_colour_terminals_get_the_ansi_theme(tmp_path, monkeypatch, colours, theme, expected):
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", colours)
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", colours)
    assert make_app(tmp_path, theme=theme).theme == expected


def test_plots_in_an_ansi_theme_use_the_terminals_colours(tmp_path):
    app = make_app(tmp_path, theme="ansi-dark")

    async def scenario(pilot):
        await open_first_lesson(pilot, steps_forward=1)
        plot = app.screen.query_one(LessonPlot)
        curve = plot._styles()["s0"]
        assert curve.color is not None and curve.color.name == "color(4)"  # the terminal's own blue
        assert any(span.style == curve for span in plot.render().spans)
        assert plot_colors(app, ("primary", "foreground")) == (4,)  # ANSI blue; the default is no colour
        assert theme_color(app, "foreground") == "default" and theme_color(app, "error") == "color(1)"
        app.theme = "nord"
        await pilot.pause()
        curve = plot._styles()["s0"]
        assert curve.color is not None and curve.color.triplet is not None
        assert any(span.style == curve for span in plot.render().spans)  # repainted in the new theme

    play(app, scenario)


def test_no_colour_keeps_verdicts_readable(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot, steps_forward=3)
        await pilot.press("enter")  # into the answer box
        await type_text(pilot, "7")
        await pilot.press("enter")
        panel = player.query_one(FeedbackPanel)
        assert app.no_color and panel.border_title == "✗ Not right" and "too big" in text_of(panel)

    play(app, scenario)


def test_interrupted_while_starting(monkeypatch, capsys):
    import ce_tutor.tui.launch

    def interrupted(options: AppOptions) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(ce_tutor.tui.launch, "run", interrupted)
    assert run(AppOptions(lesson_dirs=[LESSONS])) == 130
    assert capsys.readouterr().err.strip() == "ce-tutor: interrupted."


def test_ctrl_c_quits_cleanly_with_progress_saved(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await open_first_lesson(pilot, steps_forward=2)
        await pilot.press("ctrl+c")

    play(app, scenario)
    assert app.return_code == 0
    with ProgressStore(tmp_path) as store:
        assert store.lesson("basics").current_step == 2


# -- small terminals -----------------------------------------------------------------------------------------
def test_a_too_small_terminal_shows_only_a_message(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        player = await open_first_lesson(pilot, steps_forward=2)
        explorer = player.query_one(ExplorerView)
        await pilot.resize_terminal(50, 15)
        await pilot.pause()
        message = player.query_one(TooSmall)
        assert message.display and str(message.render()) == (
            "Enlarge the terminal to at least 60×20 (now 50×15)")
        assert player.query_one("#step").styles.display == "none"
        await pilot.press("n", "right", "question_mark", "ctrl+p")
        assert player.run.index == 2 and explorer.values["q"] == 0.5 and app.screen is player
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.focused is explorer and not player.too_small
        await pilot.press("right")
        assert explorer.values["q"] == 0.55

    play(app, scenario)


def test_the_minimum_size_fits_every_screen(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert not app.screen.too_small
        await open_first_lesson(pilot, steps_forward=2)
        assert not app.screen.too_small
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and not app.screen.too_small

    play(app, scenario, size=(60, 20))


DISTRIBUTION_LESSON = """\
schema_version: 1
id: dist-demo
title: Distribution demo
summary: A distribution param and a range that follows another param.
steps:
  - type: explore
    params:
      - {name: q, distribution: [Setosa, Versicolor, Virginica], value: [0.5, 0.3, 0.2], step: 0.05}
      - {name: a, min: 0, max: 0.9, step: 0.1, value: 0.2}
      - {name: b, label: "b (at most 1 - a)", min: 0, max: "1 - a", step: 0.1, value: 0.5}
    show:
      - "q = {q:.2f} (sum {sum(q):.2f})"
"""


def test_an_explorer_with_a_distribution_and_a_range_that_follows(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "dist.yaml").write_text(DISTRIBUTION_LESSON, encoding="utf-8")
    app = make_app(tmp_path / "data", lessons=[lessons])

    async def scenario(pilot):
        await open_first_lesson(pilot)
        view = app.screen.query_one(ExplorerView)
        rows = list(view.query("ParamRow"))
        assert [row.label for row in rows] == ["Setosa", "Versicolor", "Virginica", "a", "b (at most 1 - a)"]
        await pilot.press("right", "right")
        await pilot.pause()
        assert shown(view.query_one("#lines").query_one(Static)).strip() == "q = 0.60, 0.24, 0.16 (sum 1.00)"
        assert [row.value for row in rows[:3]] == [0.6, pytest.approx(0.24), pytest.approx(0.16)]
        await pilot.press("down", "down", "down", "shift+right")  # a to its top, 0.9
        await pilot.pause()
        assert (rows[4].low, rows[4].high) == (0.0, pytest.approx(0.1))
        assert rows[4].value == pytest.approx(0.1)  # b was moved back inside its new range

    play(app, scenario)
