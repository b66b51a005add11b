"""``ce-tutor serve``: the tutor in web browsers, one learner per tab, for a class.

textual-serve (the server behind ``textual serve``) runs one app process per browser tab and relays its
screen over a websocket. :mod:`ce_tutor.serve.server` adds what a class needs around it: the "who are
you" app mode (each tab runs ``python -m ce_tutor.serve.tab DIR``,
as ``ce-tutor --class-session DIR`` does), a cap on tabs with a polite "the class is
full" page, an idle timeout, and a clean end of every tab on Ctrl-C. Nothing in the domain or the app
imports this package; importing it is cheap (aiohttp and textual-serve load when :func:`serve` runs).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ServeOptions", "serve"]


@dataclass
class ServeOptions:
    class_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    roster: Path | None = None
    max_learners: int | None = None
    idle_seconds: float = 30 * 60.0
    lessons: list[Path] = field(default_factory=list)
    #: Where the tabs' bytecode (without docstrings) is kept, once :func:`ce_tutor.serve.server.prepare` has
    #: compiled it; None: the tabs run as a plain ``python -m ce_tutor`` does.
    bytecode: Path | None = None


def serve(options: ServeOptions) -> int:
    """Serve until Ctrl-C (or SIGTERM). Exit status: 0 stopped, 1 the class folder or the lessons cannot
    be used, 2 a bad roster, 3 the address cannot be listened on."""
    from ce_tutor.serve.server import run

    try:
        return run(options)
    except KeyboardInterrupt:
        print("\nce-tutor serve: interrupted.", file=sys.stderr)
        return 130
