"""Command-line entry point. Keep the top of this module free of heavy imports (numpy, textual,
pydantic): ``--help`` and ``--version`` must stay instant. Each command imports what it needs."""

from __future__ import annotations

import argparse
import sys

from ce_tutor import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ce-tutor",
        description="A terminal tutor that teaches cross-entropy.",
    )
    parser.add_argument("--version", action="version", version=f"ce-tutor {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    from pathlib import Path

    root = Path(__file__).resolve().parent
    lessons = root / "_lessons"
    if not lessons.is_dir():
        lessons = root.parents[1] / "lessons"
    for path in sorted(lessons.glob("*.yaml")):
        print(path.stem)
    return 0
