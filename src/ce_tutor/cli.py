"""The ``ce-tutor`` command.

Keep the top of this module free of heavy imports (numpy, textual, pydantic, yaml): ``--help`` and
``--version`` must stay instant. Each command imports what it needs when it runs.

Exit status: 0 success, 1 a problem was found or something failed, 2 a usage error, 130 interrupted
(except the tutor itself, where Ctrl-C saves and exits 0).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ce_tutor import __version__

COMMANDS = ("list", "check", "schema", "progress", "reset", "export", "serve", "class")
_TAKES_VALUE = ("--lessons", "--data-dir", "--seed", "--theme", "-o", "--output", "--variants", "--class-session",
                "--roster")

USAGE = """ce-tutor [options] [LESSON]
       ce-tutor {list,check,schema,progress,reset,export,serve,class} [options]"""

EPILOG = """commands:
  (none)      open the tutor (the plain-text mode when stdin or stdout is not a terminal)
  list        list the lessons in curriculum order
  check       check lesson files (the shipped ones when no path is given)
  schema      print the JSON Schema of lesson files, for editors
  progress    show your progress
  reset       forget progress (of one lesson, or of all)
  export      write your progress as JSON, for a teacher
  serve       serve the tutor to a class in web browsers, a learner per tab
  class       class report DIR: the gradebook of a served class

environment:
  CE_TUTOR_HOME     where progress is kept (like --data-dir)
  CE_TUTOR_LESSONS  extra lesson folders, separated by '%s'
  NO_COLOR          no colours in the app
""" % os.pathsep


class UsageError(Exception):
    """A command line that cannot be carried out; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}\nTry 'ce-tutor --help'.")


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options every command takes, before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--lessons", metavar="DIR", action="append", type=Path,
                        default=argparse.SUPPRESS if suppress else [],
                        help="also load the lessons in DIR (repeatable)")
    parser.add_argument("--data-dir", metavar="DIR", type=Path, default=default,
                        help="keep progress in DIR instead of the user data directory")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ce-tutor", usage=USAGE, epilog=EPILOG,
                     description="A terminal tutor that teaches cross-entropy.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ce-tutor {__version__}")
    _add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    # What `ce-tutor serve` starts in each browser tab: the app asks who the learner is first.
    run.add_argument("--class-session", metavar="DIR", type=Path, help=argparse.SUPPRESS)
    run.add_argument("--roster", metavar="FILE", type=Path, help=argparse.SUPPRESS)

    p = sub.add_parser("list", prog="ce-tutor list", help="list the lessons")
    _add_common(p, suppress=True)

    p = sub.add_parser("check", prog="ce-tutor check", help="check lesson files")
    _add_common(p, suppress=True)
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="lesson files or folders")
    p.add_argument("--variants", type=int, default=200, metavar="N",
                   help="quiz variants to draw and check per quiz (default 200)")

    p = sub.add_parser("schema", prog="ce-tutor schema", help="print the JSON Schema of lesson files")
    _add_common(p, suppress=True)

    p = sub.add_parser("progress", prog="ce-tutor progress", help="show your progress")
    _add_common(p, suppress=True)

    p = sub.add_parser("reset", prog="ce-tutor reset", help="forget progress")
    _add_common(p, suppress=True)
    p.add_argument("lesson", nargs="?", metavar="LESSON", help="only this lesson (default: all)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("export", prog="ce-tutor export", help="write progress as JSON")
    _add_common(p, suppress=True)
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")

    _add_class_commands(sub)
    return parser


def _add_class_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", prog="ce-tutor serve", help="serve the tutor to a class in web browsers",
                       description="Serve the tutor to web browsers: each tab asks who the learner is, and "
                                   "each learner's progress is kept in the class folder.")
    _add_common(p, suppress=True)
    p.add_argument("--class", dest="class_dir", metavar="DIR", type=Path, required=True,
                   help="the class folder (made if missing): learners' progress and the class's quiz seed")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--roster", metavar="FILE", type=Path,
                   help="only these learners: one per line, a name and a join code ('Ada Lovelace, k7f2q9')")
    p.add_argument("--max-learners", type=int, metavar="N", help="at most N browser tabs at once")
    p.add_argument("--idle-minutes", type=float, default=30.0, metavar="M",
                   help="end a tab after M minutes without a key press (default 30); progress is kept")

    p = sub.add_parser("class", prog="ce-tutor class", help="the gradebook of a served class")
    _add_common(p, suppress=True)
    what = p.add_subparsers(dest="class_command", metavar="report", parser_class=_Parser, required=True)
    r = what.add_parser("report", prog="ce-tutor class report",
                        help="one row per learner and lesson, as a table, CSV or JSON")
    _add_common(r, suppress=True)
    r.add_argument("class_dir", metavar="DIR", type=Path, help="the class folder given to 'ce-tutor serve'")
    r.add_argument("--csv", metavar="FILE", type=Path,
                   help="write the gradebook to FILE as CSV (UTF-8), instead of printing the table")
    r.add_argument("--json", metavar="FILE", type=Path,
                   help="write the gradebook to FILE as JSON, instead of printing the table")


def _route(argv: Sequence[str]) -> list[str]:
    """Put the implicit ``open`` command first, so that ``ce-tutor [options] [LESSON]`` parses.

    An explicit command (``ce-tutor --data-dir D progress``) is left alone: the options every command
    takes are accepted before it too.
    """
    args = list(argv)
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        if token.startswith("-"):
            i += 2 if token in _TAKES_VALUE else 1
            continue
        if token in COMMANDS:
            return args
        break
    return ["open", *args]  # also routes a bare --help to the tutor's help, which lists the commands


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(_route(args_list))
        return COMMAND_TABLE[args.command](args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ce-tutor list | head`: the reader went away; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last resort: a log file, never a traceback
        from ce_tutor.crash import crash_message

        print(crash_message(exc, getattr(args, "data_dir", None)), file=sys.stderr)
        return 1


# -- commands ---------------------------------------------------------------------------------------------
def _catalog(args: argparse.Namespace):
    from ce_tutor.lessons.cache import LessonCache
    from ce_tutor.lessons.catalog import lesson_dirs, load_catalog
    from ce_tutor.progress import default_cache_dir

    return load_catalog(lesson_dirs(extra=args.lessons), LessonCache(default_cache_dir(args.data_dir)))


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    _print_problems(catalog.problems)
    width = max((len(lf.lesson.id) for lf in catalog.lessons), default=2)
    for n, lf in enumerate(catalog.lessons, 1):
        steps = len(lf.lesson.steps)
        print(f"{n:>2}. {lf.lesson.id:<{width}}  {lf.lesson.title}  ({steps} step{'s' * (steps != 1)})")
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
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError("ce-tutor check: no such file or folder: " + ", ".join(map(str, missing)))
    problems = check_paths(paths, variants=args.variants)
    _print_problems(problems)
    if problems:
        print(f"{len(problems)} problem{'s' * (len(problems) != 1)} found.", file=sys.stderr)
        return 1
    print(f"All lessons are fine ({args.variants} variants of every quiz checked).")
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
        print(f"ce-tutor: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    for warning in store.warnings:
        print(f"ce-tutor: warning: {warning}", file=sys.stderr)
    return store


def cmd_progress(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    with _store(args) as store:
        saved = store.lessons()
        stats = store.quiz_stats()
    rows = [("lesson", "title", "progress", "quiz accuracy")]
    for lf in catalog.lessons:
        lp = saved.get(lf.lesson.id)
        done = "done" if lp and lp.complete else (f"{lp.percent}%" if lp else "not started")
        mine = [s for s in stats if s.lesson_id == lf.lesson.id]
        tries = sum(s.attempts for s in mine)
        right = sum(s.correct for s in mine)
        accuracy = f"{right}/{tries} ({100 * right // tries}%)" if tries else "-"
        rows.append((lf.lesson.id, lf.lesson.title, done, accuracy))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def cmd_reset(args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    catalog = _catalog(args)
    if args.lesson is not None and catalog.get(args.lesson) is None:
        raise UsageError(f"ce-tutor reset: {catalog.no_such_lesson(args.lesson)}")
    what = f"your progress in '{args.lesson}'" if args.lesson else "ALL your progress and quiz history"
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("ce-tutor reset: refusing to reset without a terminal to confirm; add --yes")
        try:
            reply = ask(f"Forget {what}? This cannot be undone. [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing was reset.")
            return 1
    with _store(args) as store:
        store.reset(args.lesson)
    print(f"Reset {what}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import json

    with _store(args) as store:
        text = json.dumps(store.export(), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    tmp = args.output.with_name(args.output.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.output)
    except OSError as exc:
        print(f"ce-tutor export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"Progress written to {args.output}.", file=sys.stderr)
    return 0


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
    from ce_tutor.lessons.catalog import lesson_dirs
    from ce_tutor.tui import AppOptions, run

    return run(AppOptions(lesson_dirs=lesson_dirs(extra=args.lessons), theme=args.theme, ascii=args.ascii,
                          class_dir=args.class_session.resolve(),
                          roster=args.roster.resolve() if args.roster else None))


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
    "progress": cmd_progress, "reset": cmd_reset, "export": cmd_export, "serve": cmd_serve,
    "class": cmd_class,
}
