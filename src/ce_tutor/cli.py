"""The ``ce-tutor`` command.

Keep the top of this module free of heavy imports (numpy, textual, pydantic, yaml): ``--help`` and
``--version`` must stay instant. Each command imports what it needs when it runs.

Exit status: 0 success, 1 a problem was found or something failed, 2 a usage error, 130 interrupted
(except the tutor itself, where Ctrl-C saves and exits 0).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ce_tutor import __version__
from ce_tutor.text import escape_json, safe

COMMANDS = ("list", "check", "schema", "progress", "reset", "export", "review", "serve", "class")
_TAKES_VALUE = ("--lessons", "--data-dir", "--seed", "--theme", "-o", "--output", "--variants", "--class-session",
                "--roster")

USAGE = """ce-tutor [options] [LESSON]
       ce-tutor {list,check,schema,progress,reset,export,review,serve,class} [options]"""

EPILOG = """commands:
  (none)      open the tutor (the plain-text mode when stdin or stdout is not a terminal)
  list        list the lessons in curriculum order
  check       check lesson files (the shipped ones when no path is given)
  schema      print the JSON Schema of lesson files, for editors
  progress    show your progress
  reset       forget progress (of one lesson, or of all)
  export      write your progress as JSON, for a teacher
  review      review the quizzes that are due, with fresh numbers (--list: what is due when)
  serve       serve the tutor to a class in web browsers, a learner per tab
  class       class report DIR: the gradebook of a served class

environment:
  CE_TUTOR_HOME     where progress is kept (like --data-dir)
  CE_TUTOR_LESSONS  extra lesson folders, separated by '%s'
  CE_TUTOR_NOW      an ISO 8601 time (like 2026-12-09T08:00:00Z) that replaces the clock,
                    to see what would be due for review then; times are UTC
  NO_COLOR          no colours in the app
""" % os.pathsep


class UsageError(Exception):
    """A command line that cannot be carried out; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}\nTry 'ce-tutor --help'.")


def _path(text: str) -> Path:
    """A path from the command line; an empty one (``--data-dir ""``, often an unset variable) is refused
    rather than read as the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name, or leave the option out")
    return Path(text)


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options every command takes, before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--lessons", metavar="DIR", action="append", type=_path,
                        default=argparse.SUPPRESS if suppress else [],
                        help="also load the lessons in DIR (repeatable)")
    parser.add_argument("--data-dir", metavar="DIR", type=_path, default=default,
                        help="keep progress in DIR instead of the user data directory")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only``, with that command's parser alone (each parser costs about
    half a millisecond to build, and the app's start waits for them)."""

    parser = _Parser(prog="ce-tutor", usage=USAGE, epilog=EPILOG,
                     description="A terminal tutor that teaches cross-entropy.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ce-tutor {__version__}")
    _add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser | None:
        """The parser of command ``name``, with the options every command takes; None if not wanted."""
        if only is not None and only != name:
            return None
        found = sub.add_parser(name, **kwargs)
        _add_common(found, suppress=True)
        return found

    if only in (None, "open"):
        run = sub.add_parser("open", help=argparse.SUPPRESS, usage=USAGE, epilog=EPILOG,
                             description="A terminal tutor that teaches cross-entropy.",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        run.add_argument("--version", action="version", version=f"ce-tutor {__version__}")
        _add_common(run, suppress=True)
        run.add_argument("lesson", nargs="?", metavar="LESSON", help="start (or resume) this lesson")
        run.add_argument("--plain", action="store_true",
                         help="line-by-line text mode (for screen readers, TERM=dumb, slow links, scripts)")
        run.add_argument("--seed", type=int, metavar="N",
                         help="draw every quiz from seed N, for a class or a bug report")
        run.add_argument("--theme", metavar="NAME", help="the app's colour theme (e.g. textual-dark, nord)")
        run.add_argument("--ascii", action="store_true", help="draw plots with plain ASCII characters")
        run.add_argument("--no-charts", action="store_true",
                         help="plain mode: describe plots in words only, without text charts (also CE_TUTOR_CHARTS=0)")
        # What `ce-tutor serve` starts in each browser tab: the app asks who the learner is first.
        run.add_argument("--class-session", metavar="DIR", type=_path, help=argparse.SUPPRESS)
        run.add_argument("--roster", metavar="FILE", type=_path, help=argparse.SUPPRESS)

    command("list", prog="ce-tutor list", help="list the lessons")

    if (p := command("check", prog="ce-tutor check", help="check lesson files")) is not None:
        p.add_argument("paths", nargs="*", type=_path, metavar="PATH", help="lesson files or folders")
        p.add_argument("--variants", type=int, default=200, metavar="N",
                       help="quiz variants to draw and check per quiz (default 200)")

    command("schema", prog="ce-tutor schema", help="print the JSON Schema of lesson files")

    command("progress", prog="ce-tutor progress", help="show your progress")

    if (p := command("reset", prog="ce-tutor reset", help="forget progress")) is not None:
        p.add_argument("lesson", nargs="?", metavar="LESSON", help="only this lesson (default: all)")
        p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    if (p := command("export", prog="ce-tutor export", help="write progress as JSON")) is not None:
        p.add_argument("-o", "--output", type=_path, metavar="FILE", help="write to FILE instead of stdout")

    if (p := command("review", prog="ce-tutor review", help="review the quizzes that are due",
                     description="Review the quizzes that are due (FSRS spaced repetition), each with fresh "
                                 "numbers. CE_TUTOR_NOW (ISO 8601) replaces the clock; times are UTC.")) is not None:
        p.add_argument("--list", action="store_true",
                       help="print 'N due now', then every card: lesson, quiz, due (UTC), stability, reviews")
        p.add_argument("--plain", action="store_true", help="line-by-line text mode, as for lessons")
        p.add_argument("--seed", type=int, metavar="N", help="draw review variants from seed N")
        p.add_argument("--theme", metavar="NAME", help="the app's colour theme (e.g. textual-dark, nord)")
        p.add_argument("--ascii", action="store_true", help="draw plots with plain ASCII characters")

    _add_serve(command)
    _add_class(command)
    return parser


def _add_serve(command: Callable[..., argparse.ArgumentParser | None]) -> None:
    p = command("serve", prog="ce-tutor serve", help="serve the tutor to a class in web browsers",
                description="Serve the tutor to web browsers: each tab asks who the learner is, and "
                            "each learner's progress is kept in the class folder.")
    if p is None:
        return
    p.add_argument("--class", dest="class_dir", metavar="DIR", type=_path, required=True,
                   help="the class folder (made if missing): learners' progress and the class's quiz seed")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--roster", metavar="FILE", type=_path,
                   help="only these learners: one per line, a name and a join code ('Ada Lovelace, k7f2q9')")
    p.add_argument("--max-learners", type=int, metavar="N", help="at most N browser tabs at once")
    p.add_argument("--idle-minutes", type=float, default=30.0, metavar="M",
                   help="end a tab after M minutes without a key press (default 30); progress is kept")


def _add_class(command: Callable[..., argparse.ArgumentParser | None]) -> None:
    p = command("class", prog="ce-tutor class", help="the gradebook of a served class")
    if p is None:
        return
    what = p.add_subparsers(dest="class_command", metavar="report", parser_class=_Parser, required=True)
    r = what.add_parser("report", prog="ce-tutor class report",
                        help="one row per learner and lesson, as a table, CSV or JSON")
    _add_common(r, suppress=True)
    r.add_argument("class_dir", metavar="DIR", type=_path, help="the class folder given to 'ce-tutor serve'")
    r.add_argument("--csv", metavar="FILE", type=_path,
                   help="write the gradebook to FILE as CSV (UTF-8), instead of printing the table")
    r.add_argument("--json", metavar="FILE", type=_path,
                   help="write the gradebook to FILE as JSON, instead of printing the table")


def _route(argv: Sequence[str]) -> list[str]:
    """Put the implicit ``open`` command first, so that ``ce-tutor [options] [LESSON]`` parses.

    An explicit command (``ce-tutor --data-dir D progress``) is left alone: the options every command
    takes are accepted before it too.
    """
    args = list(argv)
    return args if _first_word(args) in COMMANDS else ["open", *args]  # also routes a bare --help to the
    # tutor's help, which lists the commands


def _first_word(args: Sequence[str]) -> str | None:
    """The first argument that is neither an option nor an option's value (before any ``--``)."""
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            return None
        if not token.startswith("-"):
            return token
        i += 2 if token in _TAKES_VALUE else 1
    return None


def _command(routed: Sequence[str]) -> str:
    """The command of a command line put in order by :func:`_route`."""
    word = _first_word(routed)
    return word if word in COMMANDS else "open"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    if sys.stdin is None:  # started with stdin closed (<&-): read nothing rather than fail
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:  # started with stdout closed (>&-): nothing could be shown
        print("ce-tutor: standard output is closed; nothing can be shown.", file=sys.stderr)
        return 1
    try:
        routed = _route(args_list)
        args = build_parser(_command(routed)).parse_args(routed)
        from ce_tutor import clock

        if problem := clock.check():  # CE_TUTOR_NOW replaces the clock for every command
            raise UsageError(f"ce-tutor: {problem}")
        status = COMMAND_TABLE[args.command](args)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return status
    except UsageError as exc:
        print(safe(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ce-tutor list | head`: the reader went away; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last resort: a log file, never a traceback
        problem = _output_failed(exc) if isinstance(exc, OSError) else None
        if problem is None:
            from ce_tutor.crash import crash_message

            problem = safe(crash_message(exc, getattr(args, "data_dir", None)))
        print(problem, file=sys.stderr)
        return 1


def _output_failed(exc: OSError) -> str | None:
    """If ``exc`` came from writing to stdout (``>/dev/full``, a pipe or a disk that failed), the message to
    show (and stdout is pointed at /dev/null, so that Python's flush at exit does not fail again); else None.

    A write to stdout names no file, and fails with one of a few errors; an error about a file names it.
    """
    if exc.filename is not None or exc.errno not in _OUTPUT_ERRORS:
        return None
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return f"ce-tutor: cannot write to standard output: {exc.strerror or exc}"


_OUTPUT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EPIPE, errno.EBADF}


# -- commands ---------------------------------------------------------------------------------------------
def _catalog(args: argparse.Namespace):
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import lesson_dirs, load_catalog
    from ce_tutor.progress import default_cache_dir

    return load_catalog(lesson_dirs(extra=args.lessons), LessonCache(default_cache_dir(args.data_dir)))


def _index(args: argparse.Namespace):  # noqa: ANN202 - a CatalogIndex
    """What ``list``, ``progress`` and ``reset`` need of the lessons: their index (read without reading the
    lessons when it is up to date)."""
    from ce_tutor.lessons.catalog import lesson_dirs
    from ce_tutor.lessons.index import lesson_index
    from ce_tutor.progress import default_cache_dir

    return lesson_index(default_cache_dir(args.data_dir), lesson_dirs(extra=args.lessons))


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(safe(problem), file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    catalog = _index(args)
    _print_problems(catalog.problems)
    width = max((len(lesson.id) for lesson in catalog.lessons), default=2)
    for n, lesson in enumerate(catalog.lessons, 1):
        steps = lesson.steps
        title = safe(lesson.title, one_line=True)
        after = [safe(r.title, one_line=True) for r in map(catalog.get, lesson.requires) if r is not None]
        needs = f"  after: {', '.join(after)}" if after else ""
        print(f"{n:>2}. {lesson.id:<{width}}  {title}  ({steps} step{'s' * (steps != 1)}){needs}")
    if not catalog.lessons:
        print("No lessons found.", file=sys.stderr)
        return 1
    return 1 if catalog.problems else 0


def cmd_check(args: argparse.Namespace) -> int:
    if args.variants < 1 or args.variants > 100_000:
        raise UsageError("ce-tutor check: --variants must be from 1 to 100000")
    from ce_tutor.lessons.catalog import lesson_dirs
    from ce_tutor.lessons.check import check_paths

    paths = list(args.paths) or lesson_dirs(extra=args.lessons)
    missing = [p for p in args.paths if not p.exists() and not p.is_symlink()]  # a looping link: a problem below
    if missing:
        raise UsageError("ce-tutor check: no such file or folder: " + ", ".join(map(str, missing)))
    problems = check_paths(paths, variants=args.variants)
    _print_problems(problems)
    errors = sum(not p.warning for p in problems)
    warnings = len(problems) - errors
    also = f" and {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    if errors:
        print(f"{errors} problem{'s' * (errors != 1)}{also} found.")
        return 1
    print(f"All lessons are fine ({args.variants} variants of every quiz checked){also.replace(' and', ';')}.")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from ce_tutor.lessons.loader import json_schema

    schema = json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ce-tutor lesson"
    print(json.dumps(schema, indent=2))
    return 0


def _store(args: argparse.Namespace):
    from ce_tutor.progress import ProgressError, ProgressStore

    try:
        store = ProgressStore(args.data_dir)
    except ProgressError as exc:
        print(f"ce-tutor: {safe(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    for warning in store.warnings:
        print(f"ce-tutor: warning: {safe(warning)}", file=sys.stderr)
    return store


def cmd_progress(args: argparse.Namespace) -> int:
    catalog = _index(args)
    with _store(args) as store:
        saved = store.lessons()
        stats = store.quiz_stats()
        cards, log, due = store.review_cards(), store.review_log(), store.due_count()
    rows = [("lesson", "title", "progress", "quizzes right")]
    for lesson in catalog.lessons:
        lp = saved.get(lesson.id)
        done = "done" if lp and lp.complete else (f"{lp.percent}%" if lp else "new")
        mine = [s for s in stats if s.lesson_id == lesson.id]
        tries = sum(s.attempts for s in mine)
        right = sum(s.correct for s in mine)
        accuracy = f"{right}/{tries} ({100 * right // tries}%)" if tries else "-"
        rows.append((lesson.id, safe(lesson.title, one_line=True), done, accuracy))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    # The table fits the terminal (80 columns when the output is not one): titles are shortened, with "…",
    # never ids, which are what the other commands take.
    room = _table_width() - (widths[0] + widths[2] + widths[3] + 3 * 2)
    widths[1] = max(min(widths[1], room), len("title"))
    for i, row in enumerate(rows):
        cells = [row[0], _shorten(row[1], widths[1]), row[2], row[3]]
        print("  ".join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    elsewhere = sorted({*saved, *(s.lesson_id for s in stats)} - set(catalog.ids()))
    if elsewhere:
        from ce_tutor.progress import quoted

        print(f"\nAlso saved: progress in {len(elsewhere)} lesson{'s' * (len(elsewhere) != 1)} not found now "
              f"({', '.join(map(quoted, elsewhere[:10]))}{', ...' * (len(elsewhere) > 10)}); "
              "add their folders with --lessons to see them. 'ce-tutor export' includes them.")
    _print_review_cards(cards, log, due)
    return 0


def _print_review_cards(cards, log, due: int) -> None:
    """The review part of ``ce-tutor progress``: every card, with its last review."""
    from ce_tutor import clock
    from ce_tutor.review.session import RATING_WORDS

    if not cards:
        print("\nReview: no cards yet (every quiz you meet in a lesson becomes one).")
        return
    print(f"\nReview: {due} due now, {len(cards)} card{'s' * (len(cards) != 1)}, {len(log)} review"
          f"{'s' * (len(log) != 1)} in the log.")
    last = {(e.lesson_id, e.quiz_id): e for e in log}
    rows = [("lesson", "quiz", "due (UTC)", "reviews", "last")]  # the last review's rating; times: export
    for card in cards:
        entry = last.get((card.lesson_id, card.quiz_id))
        said = RATING_WORDS[entry.rating].split(':')[0] if entry else "-"
        rows.append((_safe(card.lesson_id), _safe(card.quiz_id), clock.iso(card.due), str(card.reviews), said))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _safe(text: str) -> str:
    """An id from the progress file, on one line, with any control character shown as an escape."""
    return safe(text, one_line=True)


def _table_width() -> int:
    """The terminal's width, or 80 columns when the output is not a terminal."""
    try:
        if sys.stdout.isatty():
            return max(40, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        pass
    return 80


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def cmd_reset(args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    catalog = _index(args)
    if args.lesson is not None and catalog.get(args.lesson) is None:
        raise UsageError(f"ce-tutor reset: {catalog.no_such_lesson(args.lesson)}")
    what = (f"your progress and review cards in '{args.lesson}'" if args.lesson
            else "ALL your progress, quiz history and review cards")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("ce-tutor reset: refusing to reset without a terminal to confirm; add --yes")
        try:
            reply = ask(safe(f"Forget {what}? This cannot be undone. [y/N] "))
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing was reset.")
            return 1
    from ce_tutor.progress import ProgressError

    with _store(args) as store:
        try:
            store.reset(args.lesson)
        except ProgressError as exc:
            print(f"ce-tutor reset: {exc}", file=sys.stderr)
            return 1
    print(safe(f"Reset {what}."))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Every good row of the progress file as JSON (damaged rows are named on stderr), to stdout or to a
    regular file written whole or not at all (:func:`ce_tutor.progress.write_file`)."""
    import json

    from ce_tutor.progress import FILE_NAME, ProgressError, default_data_dir, write_file

    with _store(args) as store:
        if store.path is None and os.path.lexists(default_data_dir(args.data_dir) / FILE_NAME):
            print("ce-tutor export: the progress file cannot be read (see above), so nothing was exported",
                  file=sys.stderr)
            return 1
        # JSON escapes C0 controls itself; escape_json writes C1 controls and bidi overrides as escapes too,
        # so that the text is safe on a terminal and still the same JSON.
        text = escape_json(json.dumps(store.export(), indent=2, ensure_ascii=False)) + "\n"
    if args.output is None:
        sys.stdout.write(text)  # a full disk or a closed pipe: main() says so and exits 1, never a silent success
        sys.stdout.flush()
        return 0
    try:
        written = write_file(args.output, text)
    except ProgressError as exc:
        print(safe(f"ce-tutor export: {exc}"), file=sys.stderr)
        return 1
    through = f" (the file the link points to, {written})" if written != args.output else ""
    print(safe(f"Progress written to {args.output}{through}."), file=sys.stderr)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from ce_tutor import clock

    if args.list:
        with _store(args) as store:
            cards, due = store.review_cards(), store.due_count()
        print(f"{due} due now")
        rows = [(_safe(c.lesson_id), _safe(c.quiz_id), clock.iso(c.due),
                 "-" if c.stability is None else f"{c.stability:.2f}", str(c.reviews)) for c in cards]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(5)]
        for row in rows:
            print("  ".join(cell.rjust(w) if i >= 3 else cell.ljust(w)
                            for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        return 0
    from ce_tutor.review.session import Review, nothing_due

    web = bool(os.environ.get("TEXTUAL_DRIVER"))  # under `textual serve`: the app, although pipes
    interactive = web or (sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("TERM") != "dumb")
    plain = args.plain or not interactive
    with _store(args) as store:
        if store.due_count() == 0:
            print(nothing_due(store.next_due()))
            return 0
        if plain:
            catalog = _catalog(args)
            _print_problems(catalog.problems)
            review = Review(store, catalog, args.seed if args.seed is not None else store.learner_seed)
            for gone in review.unavailable:
                print(f"ce-tutor review: skipping the card of {_safe(gone.card.lesson_id)}/"
                      f"{_safe(gone.card.quiz_id)}: {_safe(gone.reason)} ('ce-tutor reset {_safe(gone.card.lesson_id)}' "
                      "forgets it)", file=sys.stderr)
            if review.total == 0:
                print("No other card is due for review.")
                return 0
            from ce_tutor.plain_review import run_plain_review

            return run_plain_review(review, store)
    # The app reads the lessons itself (validating uncached ones in a child process, to keep its memory small).
    from ce_tutor.tui import AppOptions, run

    from ce_tutor.lessons.catalog import lesson_dirs  # noqa: I001 - light: no pydantic until called

    return run(AppOptions(lesson_dirs=lesson_dirs(extra=args.lessons), data_dir=args.data_dir,
                          seed=args.seed, theme=args.theme, ascii=args.ascii, review=True))


def cmd_open(args: argparse.Namespace) -> int:
    # Under `textual serve` or `ce-tutor serve` the app talks to a browser through pipes: TEXTUAL_DRIVER
    # names the driver that does, so the app runs although stdin and stdout are not terminals.
    web = bool(os.environ.get("TEXTUAL_DRIVER"))
    interactive = web or (sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("TERM") != "dumb")
    if args.class_session is not None:
        return _class_session(args, interactive)
    if args.plain or not interactive:
        from ce_tutor.plain import run_plain

        return run_plain(args)
    from ce_tutor.tui import AppOptions, run

    from ce_tutor.lessons.catalog import lesson_dirs  # noqa: I001 - light: no pydantic until called

    return run(AppOptions(lesson_dirs=lesson_dirs(extra=args.lessons), data_dir=args.data_dir,
                          seed=args.seed, theme=args.theme, ascii=args.ascii, lesson=args.lesson))


def _class_session(args: argparse.Namespace, interactive: bool) -> int:
    """One browser tab of `ce-tutor serve`: the app, asking who the learner is first."""
    if not interactive or args.plain:
        raise UsageError("ce-tutor: a class session runs in 'ce-tutor serve' (or a terminal), not in plain mode")
    from ce_tutor.serve.tab import run_tab  # what `ce-tutor serve` runs in each tab, without this parser

    return run_tab(args.class_session, args.roster, args.lessons, theme=args.theme, ascii=args.ascii)


def cmd_serve(args: argparse.Namespace) -> int:
    from ce_tutor.serve import ServeOptions, serve

    if getattr(args, "data_dir", None) is not None:
        raise UsageError("ce-tutor serve: each learner's progress is kept in the class folder; "
                         "--data-dir does not apply (use --class DIR)")
    if not 1 <= args.port <= 65535:
        raise UsageError("ce-tutor serve: --port must be from 1 to 65535")
    if args.max_learners is not None and args.max_learners < 1:
        raise UsageError("ce-tutor serve: --max-learners must be at least 1")
    if not 0 < args.idle_minutes <= 7 * 24 * 60:
        raise UsageError("ce-tutor serve: --idle-minutes must be more than 0 and at most a week (10080)")
    return serve(ServeOptions(class_dir=args.class_dir, host=args.host, port=args.port, roster=args.roster,
                              max_learners=args.max_learners, idle_seconds=args.idle_minutes * 60,
                              lessons=list(args.lessons)))


def cmd_class(args: argparse.Namespace) -> int:
    from ce_tutor.classroom import ClassError
    from ce_tutor.classroom.report import gradebook, table, write_csv, write_json

    try:
        book = gradebook(args.class_dir, _catalog(args))
    except ClassError as exc:
        print(f"ce-tutor class report: {exc}", file=sys.stderr)
        return 1
    for problem in book.problems:
        print(f"ce-tutor class report: skipped {problem}", file=sys.stderr)
    status = 0
    for path, write in ((args.csv, write_csv), (args.json, write_json)):
        if path is None:
            continue
        try:
            write(book, path)
        except OSError as exc:
            print(f"ce-tutor class report: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
        else:
            print(f"Gradebook written to {path}.", file=sys.stderr)
    if args.csv is None and args.json is None:
        print(table(book))
    return status


COMMAND_TABLE: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": cmd_open, "list": cmd_list, "check": cmd_check, "schema": cmd_schema,
    "progress": cmd_progress, "reset": cmd_reset, "export": cmd_export, "review": cmd_review,
    "serve": cmd_serve, "class": cmd_class,
}
