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

from ce_tutor import __version__
from ce_tutor.text import escape_json, safe

COMMANDS = ("list", "check", "schema", "progress", "reset", "export")
_TAKES_VALUE = ("--lessons", "--data-dir", "--seed", "--theme", "-o", "--output", "--variants")

USAGE = """ce-tutor [options] [LESSON]
       ce-tutor {list,check,schema,progress,reset,export} [options]"""

EPILOG = """commands:
  (none)      open the tutor (the plain-text mode when stdin or stdout is not a terminal)
  list        list the lessons in curriculum order
  check       check lesson files (the shipped ones when no path is given)
  schema      print the JSON Schema of lesson files, for editors
  progress    show your progress
  reset       forget progress (of one lesson, or of all)
  export      write your progress as JSON, for a teacher

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

    p = sub.add_parser("list", prog="ce-tutor list", help="list the lessons")
    _add_common(p, suppress=True)

    p = sub.add_parser("check", prog="ce-tutor check", help="check lesson files")
    _add_common(p, suppress=True)
    p.add_argument("paths", nargs="*", type=_path, metavar="PATH", help="lesson files or folders")
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
    p.add_argument("-o", "--output", type=_path, metavar="FILE", help="write to FILE instead of stdout")
    return parser


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
    if sys.stdin is None:  # started with stdin closed (<&-): read nothing rather than fail
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:  # started with stdout closed (>&-): nothing could be shown
        print("ce-tutor: standard output is closed; nothing can be shown.", file=sys.stderr)
        return 1
    try:
        args = build_parser().parse_args(_route(args_list))
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


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(safe(problem), file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    _print_problems(catalog.problems)
    width = max((len(lf.lesson.id) for lf in catalog.lessons), default=2)
    for n, lf in enumerate(catalog.lessons, 1):
        steps = len(lf.lesson.steps)
        title = safe(lf.lesson.title, one_line=True)
        print(f"{n:>2}. {lf.lesson.id:<{width}}  {title}  ({steps} step{'s' * (steps != 1)})")
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
        print(f"ce-tutor: {safe(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    for warning in store.warnings:
        print(f"ce-tutor: warning: {safe(warning)}", file=sys.stderr)
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
        rows.append((lf.lesson.id, safe(lf.lesson.title, one_line=True), done, accuracy))
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
            reply = ask(safe(f"Forget {what}? This cannot be undone. [y/N] "))
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing was reset.")
            return 1
    with _store(args) as store:
        store.reset(args.lesson)
    print(safe(f"Reset {what}."))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import json

    with _store(args) as store:
        text = escape_json(json.dumps(store.export(), indent=2, ensure_ascii=False)) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    tmp = args.output.with_name(args.output.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.output)
    except OSError as exc:
        print(safe(f"ce-tutor export: cannot write {args.output}: {exc.strerror}"), file=sys.stderr)
        return 1
    print(safe(f"Progress written to {args.output}."), file=sys.stderr)
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if args.plain or not interactive or os.environ.get("TERM") == "dumb":
        from ce_tutor.plain import run_plain

        return run_plain(args)
    from ce_tutor.tui import AppOptions, run

    from ce_tutor.lessons.catalog import lesson_dirs  # noqa: I001 - light: no pydantic until called

    return run(AppOptions(lesson_dirs=lesson_dirs(extra=args.lessons), data_dir=args.data_dir,
                          seed=args.seed, theme=args.theme, ascii=args.ascii, lesson=args.lesson))


COMMAND_TABLE: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": cmd_open, "list": cmd_list, "check": cmd_check, "schema": cmd_schema,
    "progress": cmd_progress, "reset": cmd_reset, "export": cmd_export,
}
