"""Last-resort handling of unexpected errors: the traceback goes to a log file, never to the learner.

The CLI and the Textual app both use it, so every crash ends the same way: one line that says where the log
is, and a log in ``<data dir>/logs/`` (or the temporary directory if that cannot be written).
"""

from __future__ import annotations

import os
import platform
import tempfile
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ce_tutor import __version__


def write_crash_log(error: BaseException | None, data_dir: Path | None, extra: str = "") -> Path | None:
    """Write ``error``'s traceback (and ``extra`` text) to ``<data dir>/logs/crash-<time>.log``.

    Falls back to the temporary directory when the data directory cannot be written; returns the file's
    path, or None if no file could be written anywhere.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = _report(error, extra)
    for folder in _folders(data_dir):
        for n in range(100):
            path = folder / (f"crash-{stamp}.log" if n == 0 else f"crash-{stamp}-{n}.log")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with path.open("x", encoding="utf-8") as file:
                    file.write(text)
            except FileExistsError:
                continue
            except OSError:
                break
            return path
    return None


def _folders(data_dir: Path | None) -> Iterator[Path]:
    try:
        from ce_tutor.progress import default_data_dir

        yield default_data_dir(data_dir) / "logs"
    except Exception:  # noqa: BLE001 - a crash log must not fail on a bad data directory
        pass
    yield Path(tempfile.gettempdir()) / f"ce-tutor-{_user()}"


def _user() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid else "logs"


def _report(error: BaseException | None, extra: str) -> str:
    lines = [
        f"ce-tutor {__version__} crashed at {datetime.now().isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"TERM={os.environ.get('TERM', '')} COLORTERM={os.environ.get('COLORTERM', '')}",
        "",
    ]
    if error is not None:
        lines.append("".join(traceback.format_exception(error)))
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def crash_message(error: BaseException, data_dir: Path | None = None) -> str:
    """The one line shown instead of a traceback (the log is written on the way)."""
    path = write_crash_log(error, data_dir)
    where = f"The details are in {path}" if path else "No log could be written"
    return (f"ce-tutor hit an unexpected error ({type(error).__name__}) and stopped. Your progress is saved. "
            f"{where}; please include that file in a bug report.")
