"""The plain-text mode: the same lessons as a line-by-line session on stdin and stdout.

For screen readers, ``TERM=dumb``, very slow links and scripts. Prose is printed as wrapped text, plots as
plotext text charts followed by a description in words, and quizzes are answered by typing. Grading goes
through the same :class:`~ce_tutor.quiz.QuizSession` as the app, so every verdict is identical. Every move is
saved as it happens; end of input and Ctrl-C both end the session with a short message and exit status 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
from typing import IO, TYPE_CHECKING

from ce_tutor.lessons.player import LessonRun
from ce_tutor.lessons.schema import ExploreStep, PlotStep, ProseStep, QuizStep

if TYPE_CHECKING:
    from ce_tutor.lessons.catalog import Catalog
    from ce_tutor.lessons.files import LessonFile
    from ce_tutor.lessons.plots import PlotData
    from ce_tutor.progress import ProgressStore

#: Said before a feedback message whose own words do not already give the verdict.
VERDICT_LABEL = {"misconception": "Not quite.", "wrong": "Not quite."}
#: Box-drawing characters of plotext's frame, for terminals that show only ASCII.
ASCII_FRAME = str.maketrans("┌┐└┘─│┤├┬┴┼", "++++-||++++")
QUIZ_HELP = "Type your answer, or: hint, solution, new (a fresh variant), skip, quit."
EXPLORE_HELP = "Type NAME VALUE to set a value, NAME+ or NAME- to nudge it, plot, or press Enter to go on."


class Quit(Exception):
    """The learner asked to stop (q, quit, end of input or Ctrl-C)."""


class UnknownLesson(Exception):
    """The lesson asked for on the command line does not exist."""


class PlainTutor:
    """One plain-text session over any pair of text streams."""

    def __init__(self, catalog: Catalog, store: ProgressStore, learner_seed: int,
                 stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout, width: int | None = None,
                 ascii: bool = False) -> None:
        self.catalog = catalog
        self.ascii = ascii
        self.store = store
        self.learner_seed = learner_seed
        self.stdin = stdin
        self.stdout = stdout
        self.width = width or max(40, min(shutil.get_terminal_size((80, 24)).columns, 100))

    # -- I/O -----------------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.say()
            raise Quit
        if not self.stdin.isatty():
            self.say(line.rstrip("\n"))  # echo, so a scripted transcript reads like a session
        answer = line.strip()
        if answer.lower() in ("q", "quit", "exit"):
            raise Quit
        return answer

    def wrap(self, text: str) -> str:
        return markdown_to_text(text, self.width)

    # -- the session ---------------------------------------------------------------------------------------
    def run(self, lesson_id: str | None) -> int:
        try:
            lf = self._choose(lesson_id)
            while lf is not None:
                lf = self.play(lf)
        except (Quit, KeyboardInterrupt):
            self.say("Progress saved. Bye.")
        return 0

    def _choose(self, lesson_id: str | None) -> LessonFile | None:
        if lesson_id is not None:
            found = self.catalog.get(lesson_id)
            if found is None:
                raise UnknownLesson(lesson_id)
            return found
        self.say("ce-tutor: lessons on cross-entropy, in plain text. Type q at any prompt to stop.\n")
        saved = self.store.lessons()
        for n, lf in enumerate(self.catalog.lessons, 1):
            lp = saved.get(lf.lesson.id)
            state = "done" if lp and lp.complete else (f"{lp.percent}%" if lp else "new")
            self.say(f"{n:>2}. {lf.lesson.title} [{lf.lesson.id}] - {state}")
        default = self._next_up()
        while True:
            hint = f" (Enter for {default.lesson.id})" if default else ""
            reply = self.ask(f"\nWhich lesson? Number or id{hint}: ")
            if not reply and default:
                return default
            if reply.isdigit() and 1 <= int(reply) <= len(self.catalog.lessons):
                return self.catalog.lessons[int(reply) - 1]
            if self.catalog.get(reply) is not None:
                return self.catalog.get(reply)
            self.say(f"There is no lesson '{reply}'. Type a number from 1 to {len(self.catalog.lessons)}.")

    def _next_up(self) -> LessonFile | None:
        last = self.store.last_lesson()
        if last is not None and self.catalog.get(last.lesson_id) is not None:
            return self.catalog.get(last.lesson_id)
        saved = self.store.lessons()
        for lf in self.catalog.lessons:
            if not (lf.lesson.id in saved and saved[lf.lesson.id].complete):
                return lf
        return self.catalog.lessons[0] if self.catalog.lessons else None

    def play(self, lf: LessonFile) -> LessonFile | None:
        """Go through one lesson; return the next lesson to play, or None."""
        from ce_tutor.lessons.problems import LessonLoadError
        from ce_tutor.lessons.runtime import lesson_env

        try:
            env = lesson_env(lf)
        except LessonLoadError as exc:
            self.say(f"This lesson cannot be shown: {'; '.join(map(str, exc.problems))}")
            return None
        run = LessonRun(lf.lesson, env, store=self.store, learner_seed=self.learner_seed)
        self.say(f"\n=== {lf.lesson.title} ===")
        self.say(self.wrap(lf.lesson.summary))
        if run.index:
            self.say(f"(Resuming at {run.position}.)")
        while True:
            self.show_step(run)
            reply = self.ask("\n[Enter] next, b back, q quit: " if not run.is_last else
                             "\n[Enter] finish the lesson, b back, q quit: ").lower()
            if reply in ("b", "back"):
                run.previous()
            elif run.is_last:
                run.finish()
                self.say(f"\nLesson complete: {lf.lesson.title}.")
                return self._after(lf)
            else:
                run.next()

    def _after(self, lf: LessonFile) -> LessonFile | None:
        lessons = self.catalog.lessons
        i = lessons.index(lf)
        if i + 1 >= len(lessons):
            self.say("That was the last lesson. Well done!")
            return None
        following = lessons[i + 1]
        self.ask(f"Next: {following.lesson.title}. Press Enter to start it, or q to stop: ")
        return following

    # -- steps ---------------------------------------------------------------------------------------------
    def show_step(self, run: LessonRun) -> None:
        from ce_tutor.lessons.problems import LocatedError
        from ce_tutor.lessons.template import TemplateError

        step = run.step
        title = f" - {step.title}" if step.title else ""
        self.say(f"\n--- {run.lesson.title}, {run.position}{title} ---")
        try:
            self._show(run, step)
        except (LocatedError, TemplateError) as exc:  # an unchecked lesson of the learner's own
            self.say(f"This step cannot be shown: {exc}. ('ce-tutor check' gives the file and line.)")

    def _show(self, run: LessonRun, step: object) -> None:
        if isinstance(step, ProseStep):
            self.say(self.wrap(run.render(step.text)))
        elif isinstance(step, PlotStep):
            from ce_tutor.lessons.plots import compute_plot

            if step.text:
                self.say(self.wrap(run.render(step.text)))
            self.show_plot(compute_plot(step.plot, run.env, max_points=self.width))
        elif isinstance(step, ExploreStep):
            self.explore(run)
        elif isinstance(step, QuizStep):
            self.quiz(run)

    def show_plot(self, data: PlotData) -> None:
        """The plot's title, the plot in words (each series' glyph named), then the chart in ASCII glyphs.

        The chart is as wide as the terminal (80 columns when not a terminal) and left out when
        ``self.charts`` is False (``--no-charts``).
        """
        from ce_tutor.plotting import describe, layout, to_text

        words = describe(data, ascii=True)
        self.say(words[0])
        self.say("\n".join(words[1:]))
        if not getattr(self, "charts", True):
            return
        width = self.width if self.stdout.isatty() else 80
        chart = to_text(layout(data, width, 18, ascii=True))
        self.say(chart)

    def explore(self, run: LessonRun) -> None:
        step = run.step
        assert isinstance(step, ExploreStep)
        explorer = run.explorer()
        if step.text:
            self.say(self.wrap(run.render(step.text)))
        names = {p.name.lower(): p for p in explorer.params}
        self.say(EXPLORE_HELP)
        self._explorer_state(explorer)
        while True:
            reply = self.ask("explore> ")
            if not reply:
                return
            if reply.lower() == "plot":
                data = explorer.plot(max_points=self.width)
                self.show_plot(data) if data else self.say("This explorer has no plot.")
                continue
            match = re.fullmatch(r"(\w+)\s*(?:([+-])|=?\s*(\S+))", reply)
            param = names.get(match.group(1).lower()) if match else None
            if param is None:
                self.say(f"Known names: {', '.join(p.name for p in explorer.params)}. {EXPLORE_HELP}")
                continue
            if match.group(2):
                explorer.nudge(param.name, 1 if match.group(2) == "+" else -1)
            else:
                from ce_tutor.quiz import AnswerError, parse_answer

                try:
                    explorer.set(param.name, parse_answer(match.group(3)))
                except AnswerError as exc:
                    self.say(str(exc))
                    continue
            self._explorer_state(explorer)

    def _explorer_state(self, explorer) -> None:
        from ce_tutor.lessons.template import format_value

        for p in explorer.params:
            label = f" ({p.label})" if p.label else ""
            self.say(f"  {p.name}{label} = {format_value(explorer.values[p.name], '.4g')}"
                     f"   [{format_value(p.min, 'g')} to {format_value(p.max, 'g')}, step {format_value(p.step, 'g')}]")
        for line in explorer.lines():
            self.say(f"  {line}")

    def quiz(self, run: LessonRun) -> None:
        from ce_tutor.quiz import VariantError

        try:
            session = run.quiz()
        except VariantError as exc:
            self.say(f"This quiz cannot be drawn ({exc}); 'ce-tutor check' says more. Moving on.")
            return
        self._prompt(session)
        while not session.finished:
            reply = self.ask("answer> ")
            word = reply.lower()
            if word == "hint":
                hint = session.hint()
                self.say(f"Hint: {self.wrap(hint)}" if hint else "There are no more hints.")
            elif word in ("solution", "solve"):
                self._print_solution(session.solution())
            elif word == "new":
                try:
                    session.new_variant()
                except VariantError as exc:
                    self.say(f"No fresh variant could be drawn ({exc}).")
                    continue
                self._prompt(session)
            elif word == "skip":
                return
            elif word in ("help", "?"):
                self.say(QUIZ_HELP)
            elif not reply:
                self.say(QUIZ_HELP)
            else:
                before = len(session.hints_shown)
                feedback = session.submit(reply)
                label = VERDICT_LABEL.get(str(feedback.verdict), "")
                message = feedback.message if feedback.message.startswith(label) else f"{label} {feedback.message}"
                self.say(self.wrap(message))
                for hint in session.hints_shown[before:]:
                    self.say(f"Hint: {self.wrap(hint)}")
                if session.solution_shown:
                    self._print_solution(session.solution())

    def _prompt(self, session) -> None:
        self.say(self.wrap(session.variant.prompt))
        for n, option in enumerate(session.variant.options, 1):
            self.say(f"  {n}. {option}")
        self.say(f"({QUIZ_HELP})")

    def _print_solution(self, steps: list[str]) -> None:
        self.say("Worked solution:")
        for n, line in enumerate(steps, 1):
            self.say(textwrap.indent(self.wrap(line), "   ").replace("   ", f"{n:>2}. ", 1))


def markdown_to_text(text: str, width: int) -> str:
    """Light Markdown to plain text: emphasis marks dropped, headings underlined, paragraphs and list items
    wrapped to ``width``; fenced code is kept as it is."""
    out: list[str] = []
    paragraph: list[str] = []
    in_code = False

    def flush() -> None:
        if paragraph:
            out.append(_wrap_item(" ".join(paragraph), width))
            paragraph.clear()

    for raw in text.strip().splitlines():
        if raw.strip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            out.append(raw)
            continue
        line = _inline(raw.strip())
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if not line:
            flush()
            out.append("")
        elif heading:
            flush()
            out.extend([heading.group(1), "-" * min(len(heading.group(1)), width)])
        elif re.match(r"^(?:[-*+]|\d+[.)])\s", line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def _inline(line: str) -> str:
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", line)
    line = re.sub(r"`([^`]+)`", r"\1", line)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", line)


def _wrap_item(text: str, width: int) -> str:
    bullet = re.match(r"^((?:[-*+]|\d+[.)])\s+)", text)
    indent = " " * len(bullet.group(1)) if bullet else ""
    return textwrap.fill(text, width, subsequent_indent=indent, break_on_hyphens=False)


def run_plain(args: argparse.Namespace) -> int:
    """Entry point from the CLI: load lessons and progress, then run the session."""
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import lesson_dirs, load_catalog
    from ce_tutor.progress import ProgressError, ProgressStore, default_cache_dir

    catalog = load_catalog(lesson_dirs(extra=args.lessons), LessonCache(default_cache_dir(args.data_dir)))
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not catalog.lessons:
        print("ce-tutor: no lessons found.", file=sys.stderr)
        return 1
    try:
        store = ProgressStore(args.data_dir)
    except ProgressError as exc:
        print(f"ce-tutor: {exc}", file=sys.stderr)
        return 1
    for warning in store.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    seed = args.seed if args.seed is not None else store.learner_seed
    for stream in (sys.stdout, sys.stderr):  # a learner's terminal may not encode ∞ or ≈: never crash on it
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    ascii_only = args.ascii or os.environ.get("TERM") == "dumb" or "utf" not in (sys.stdout.encoding or "").lower()
    with store:
        try:
            return PlainTutor(catalog, store, seed, ascii=ascii_only).run(args.lesson)
        except UnknownLesson:
            print(f"ce-tutor: {catalog.no_such_lesson(args.lesson)}", file=sys.stderr)
            return 2
