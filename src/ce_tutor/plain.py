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
import sys
import textwrap
from typing import IO, TYPE_CHECKING

from ce_tutor.lessons.player import LessonRun
from ce_tutor.lessons.schema import ExploreStep, PlotStep, ProseStep, QuizStep
from ce_tutor.text import safe

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
AFTER_SOLUTION = "You can still answer, to check your working (it no longer counts), or press Enter to go on."
NEXT_KEYS = "Press Enter to go on, b to go back, or q to quit."
#: The width of the text when the output is not a terminal (a file, a pipe, a screen reader's buffer).
DEFAULT_WIDTH = 80


class Quit(Exception):
    """The learner asked to stop (q, quit, end of input or Ctrl-C)."""


class UnknownLesson(Exception):
    """The lesson asked for on the command line does not exist."""


class PlainTutor:
    """One plain-text session over any pair of text streams."""

    def __init__(self, catalog: Catalog, store: ProgressStore, learner_seed: int,
                 stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout, width: int | None = None,
                 ascii: bool = False, charts: bool = True) -> None:
        self.catalog = catalog
        self.ascii = ascii
        self.charts = charts  # False: plots are said in words only (--no-charts, CE_TUTOR_CHARTS=0)
        self.store = store
        self.learner_seed = learner_seed
        self.stdin = stdin
        self.stdout = stdout
        self.width = width or output_width(stdout)
        store.on_saving_change = lambda problem: self.say(
            f"Note: {problem}." if problem else "Note: progress is saved.")

    # -- I/O -----------------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        text = fit(safe(text), self.width)  # lesson text, answers, file names: never a control character;
        self.stdout.write(text + "\n")  # and no line wider than the terminal, whatever said it
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        self.stdout.write(safe(prompt))
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

    def header(self, text: str, rule: str) -> str:
        """``--- text ---`` on one line; wrapped (without the closing rule) when it does not fit."""
        line = f"{rule} {text} {rule}"
        return line if len(line) <= self.width else self.wrap_line(f"{rule} {text}", hanging=" " * (len(rule) + 1))

    def wrap_line(self, text: str, indent: str = "", hanging: str | None = None) -> str:
        """One line of plain text (no Markdown), wrapped to the width."""
        return textwrap.fill(text, self.width, initial_indent=indent,
                             subsequent_indent=indent if hanging is None else hanging, break_on_hyphens=False)

    # -- the session ---------------------------------------------------------------------------------------
    def run(self, lesson_id: str | None) -> int:
        try:
            lf = self._choose(lesson_id)
            while lf is not None:
                lf = self.play(lf)
        except (Quit, KeyboardInterrupt):
            self.say("Progress saved. Bye." if not (self.store.unsaved or self.store.read_only) else "Bye.")
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
            self.say(self.wrap_line(f"{n:>2}. {lf.lesson.title} [{lf.lesson.id}] - {state}", hanging="    "))
            needs = [self.catalog.get(r) for r in lf.lesson.requires if not (saved.get(r) and saved[r].complete)]
            if needs and state != "done":
                self.say(self.wrap_line(f"    needs: {', '.join(f.lesson.title for f in needs if f is not None)}",
                                        hanging="      "))
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
        self.say()
        self.say(self.header(lf.lesson.title, "==="))
        self.say(self.wrap(lf.lesson.summary))
        if run.index:
            self.say(f"(Resuming at {run.position}.)")
        while True:
            self.show_step(run)
            reply = self._next_key("\n[Enter] next, b back, q quit: " if not run.is_last else
                                   "\n[Enter] finish the lesson, b back, q quit: ")
            if reply == "b":
                run.previous()
            elif run.is_last:
                run.finish()
                self.say(f"\nLesson complete: {lf.lesson.title}.")
                return self._after(lf)
            else:
                run.next()

    def _next_key(self, prompt: str) -> str:
        """Ask at an "[Enter] next" prompt: "" for Enter, "b" for back (q quits). Anything else typed there
        (an answer one prompt too early) is not taken as Enter: the keys are recalled and asked again."""
        while True:
            reply = self.ask(prompt).lower()
            if reply in ("", "b", "back"):
                return reply[:1]
            self.say(f"'{reply[:20]}' is not a choice here. {NEXT_KEYS}")
            prompt = prompt.lstrip("\n")

    def _after(self, lf: LessonFile) -> LessonFile | None:
        lessons = self.catalog.lessons
        i = lessons.index(lf)
        if i + 1 >= len(lessons):
            self.say(self.wrap_line(last_lesson_words(self.catalog, self.store)))
            return None
        following = lessons[i + 1]
        self.say(self.wrap_line(f"Next: {following.lesson.title}."))
        while self.ask("Press Enter to start it, or q to stop: "):
            self.say("Press Enter to start the next lesson, or q to stop.")
        return following

    # -- steps ---------------------------------------------------------------------------------------------
    def show_step(self, run: LessonRun) -> None:
        from ce_tutor.lessons.problems import LocatedError
        from ce_tutor.lessons.template import TemplateError

        step = run.step
        title = f" - {step.title}" if step.title else ""
        self.say()
        self.say(self.header(f"{run.lesson.title}, {run.position}{title}", "---"))
        try:
            self._show(run, step)
        except (LocatedError, TemplateError) as exc:  # an unchecked lesson of the learner's own
            self.say(self.wrap_line(f"This step cannot be shown: {exc}. ('ce-tutor check' gives the file and line.)"))

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
        import plotext

        from ce_tutor.plotting import describe, draw

        plotext.clear_figure()
        plotext.theme("clear")
        plotext.plotsize(self.width, 18)
        draw(plotext, data, ascii=True)
        chart = plotext.uncolorize(plotext.build())
        self.say(chart.translate(ASCII_FRAME) if self.ascii else chart)
        self.say("\n".join(describe(data)))

    def explore(self, run: LessonRun) -> None:
        step = run.step
        assert isinstance(step, ExploreStep)
        explorer = run.explorer()
        if step.text:
            self.say(self.wrap(run.render(step.text)))
        names = {p.name.lower(): p for p in explorer.params}
        self.say(self.wrap_line(EXPLORE_HELP))
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
                self.say(self.wrap_line(f"Known names: {', '.join(p.name for p in explorer.params)}. {EXPLORE_HELP}"))
                continue
            if match.group(2):
                explorer.nudge(param.name, 1 if match.group(2) == "+" else -1)
            else:
                from ce_tutor.quiz import AnswerError, parse_answer

                try:
                    typed = parse_answer(match.group(3))
                except AnswerError as exc:
                    self.say(self.wrap_line(str(exc)))
                    continue
                explorer.set(param.name, typed)
                said = set_note(param, typed, explorer.values[param.name])
                if said:
                    self.say(self.wrap_line(said))
            self._explorer_state(explorer)

    def _explorer_state(self, explorer) -> None:
        from ce_tutor.lessons.template import format_value

        for p in explorer.params:
            try:
                low, high = explorer.bounds(p.name)  # a range may follow the other params
                span = f"{format_value(low, 'g')} to {format_value(high, 'g')}"
            except ValueError:
                span = "no range at these values"
            self.say(self.wrap_line(
                f"{param_name(p)} = {format_value(explorer.values[p.name], '.4g')}"
                f"   [{span}, step {format_value(p.step, 'g')}]",
                indent="  ", hanging="      "))
        for line in explorer.lines():
            self.say(self.wrap_line(line, indent="  ", hanging="      "))

    def quiz(self, run: LessonRun) -> None:
        from ce_tutor.quiz import VariantError

        try:
            session = run.quiz()
        except VariantError as exc:
            self.say(f"This quiz cannot be drawn ({exc}); 'ce-tutor check' says more. Moving on.")
            return
        self.answer(session)

    def answer(self, session) -> None:
        """Work through one quiz session until it is finished or skipped (lessons and reviews alike)."""
        from ce_tutor.quiz import VariantError

        self._prompt(session)
        while not session.solved:
            reply = self.ask("answer> ")
            word = reply.lower()
            if word == "hint":
                hint = session.hint()
                self.say(self.wrap(f"Hint: {hint}") if hint else "There are no more hints.")
            elif word in ("solution", "solve"):
                self._print_solution(session.solution())
                self.say(self.wrap_line(AFTER_SOLUTION))
            elif word == "new":
                try:
                    session.new_variant()
                except VariantError as exc:
                    self.say(f"No fresh variant could be drawn ({exc}).")
                    continue
                self._prompt(session)
            elif word == "skip":
                return
            elif not reply and session.solution_shown:
                return
            elif word in ("help", "?") or not reply:
                self.say(self.wrap_line(QUIZ_HELP))
            else:
                before = len(session.hints_shown)
                shown_before = session.solution_shown
                feedback = session.submit(reply)
                self.say(self.wrap(feedback_words(str(feedback.verdict), feedback.message)))
                for hint in session.hints_shown[before:]:
                    self.say(self.wrap(f"Hint: {hint}"))
                if session.solution_shown and not shown_before:
                    self._print_solution(session.solution())
                if str(feedback.verdict) == "correct":
                    return
                if session.solution_shown:
                    self.say(self.wrap_line(AFTER_SOLUTION))

    def _prompt(self, session) -> None:
        self.say(self.wrap(session.variant.prompt))
        for n, option in enumerate(session.variant.options, 1):
            self.say(self.wrap_line(f"{n}. {option}", indent="  ", hanging="     "))
        self.say(self.wrap_line(f"({QUIZ_HELP})"))

    def _print_solution(self, steps: list[str]) -> None:
        self.say("Worked solution:")
        for n, line in enumerate(steps, 1):
            self.say(textwrap.indent(markdown_to_text(line, self.width - 4), "    ").replace("    ", f"{n:>2}. ", 1))


def output_width(stdout: IO[str]) -> int:
    """The terminal's width (at least 40) when ``stdout`` is one, else :data:`DEFAULT_WIDTH`."""
    try:
        if stdout.isatty():
            return max(40, os.get_terminal_size(stdout.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        pass
    return DEFAULT_WIDTH


def fit(text: str, width: int) -> str:
    """``text`` with every line wider than ``width`` wrapped at spaces (continuations indented as the line
    was), and a word too long for any line cut: nothing said is ever wider than ``width``."""
    if all(len(line) <= width for line in text.split("\n")):
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        indent = indent if len(indent) < width // 2 else ""
        out.append(textwrap.fill(line.strip(), width, initial_indent=indent, subsequent_indent=indent,
                                 break_on_hyphens=False))
    return "\n".join(out)


def feedback_words(verdict: str, message: str) -> str:
    """A quiz's feedback as said: the verdict in words once, then the message."""
    label = VERDICT_LABEL.get(verdict, "")
    if not label or message.lower().startswith(label.rstrip(".").lower()):
        return message
    return f"{label} {message}"


def param_name(param) -> str:  # noqa: ANN001 - a schema Param
    """An explorer parameter as listed: its name, and its label once (a label that starts with the name,
    such as "p of the observed class" for p, is the name's description already)."""
    if not param.label:
        return param.name
    if re.match(rf"{re.escape(param.name)}\b", param.label, re.IGNORECASE):
        return param.label
    return f"{param.name} ({param.label})"


def set_note(param, typed: float, value: float) -> str | None:  # noqa: ANN001 - a schema Param
    """What to say when an explorer value typed by the learner was not taken as it is, else None."""
    from ce_tutor.lessons.template import format_value

    def shown(x: float) -> str:
        return format_value(x, ".4g")

    if value == typed or typed != typed:  # taken as typed (or NaN, which changes nothing)
        return None
    if not param.min <= typed <= param.max:
        return (f"{param.name} must be between {format_value(param.min, 'g')} and {format_value(param.max, 'g')}; "
                f"set to {shown(value)}.")
    return f"{param.name} set to {shown(value)}: the nearest step (steps of {format_value(param.step, 'g')})."


def last_lesson_words(catalog: Catalog, store: ProgressStore) -> str:
    """What to say after the last lesson: well done if every lesson is complete, else which are open."""
    saved = store.lessons()
    open_ = [lf.lesson.title for lf in catalog.lessons
             if not (lf.lesson.id in saved and saved[lf.lesson.id].complete)]
    if not open_:
        return "That was the last lesson, and you have finished them all. Well done!"
    which = "this one is" if len(open_) == 1 else "these are"
    return f"That was the last lesson, but {which} still open: {'; '.join(open_)}."


def markdown_to_text(text: str, width: int) -> str:
    """Light Markdown to plain text, the subset the app renders: emphasis marks dropped (also when bold or
    italics span a line break), inline code and links as text, headings underlined, paragraphs and list
    items wrapped to ``width``; fenced code is kept as it is (lines wider than ``width`` wrapped)."""
    out: list[str] = []
    paragraph: list[str] = []
    in_code = False

    def flush() -> None:
        if paragraph:
            out.append(_wrap_item(_inline(" ".join(paragraph)), width))
            paragraph.clear()

    for raw in text.strip().splitlines():
        if raw.strip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            out.append(fit(raw, width))
            continue
        line = raw.strip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if not line:
            flush()
            out.append("")
        elif heading:
            flush()
            title = _wrap_item(_inline(heading.group(1)), width)
            out.extend([title, "-" * min(max(map(len, title.split("\n"))), width)])
        elif re.match(r"^(?:[-*+]|\d+[.)])\s", line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def _inline(line: str) -> str:
    line = re.sub(r"(\*\*|__)(?!\s)(.+?)(?<!\s)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])", r"\1", line)
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
        print(f"ce-tutor: {safe(exc)}", file=sys.stderr)
        return 1
    for warning in store.warnings:
        print(f"warning: {safe(warning)}", file=sys.stderr)
    seed = args.seed if args.seed is not None else store.learner_seed
    # A learner's terminal may not encode ∞ or ≈, and a byte on stdin may not be UTF-8: never crash on either.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    ascii_only = args.ascii or os.environ.get("TERM") == "dumb" or "utf" not in (sys.stdout.encoding or "").lower()
    charts = not getattr(args, "no_charts", False) and os.environ.get("CE_TUTOR_CHARTS", "").strip() != "0"
    with store:
        try:
            return PlainTutor(catalog, store, seed, ascii=ascii_only, charts=charts).run(args.lesson)
        except UnknownLesson:
            print(f"ce-tutor: {safe(catalog.no_such_lesson(args.lesson))}", file=sys.stderr)
            return 2
