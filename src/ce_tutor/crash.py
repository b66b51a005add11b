"""Last-resort handling of unexpected errors: the traceback goes to a log file, never to the learner."""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path


def write_crash_log(exc: BaseException, data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Write ``exc``'s traceback to ``<data dir>/logs/crash-<time>.log`` (or the temp dir); return the path.

    Returns None only if no log could be written anywhere.
    """
    from ce_tutor import __version__

    text = f"ce-tutor {__version__}\n" + "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for folder in _log_dirs(data_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def crash_message(exc: BaseException, data_dir: str | os.PathLike[str] | None = None) -> str:
    """The one line shown instead of a traceback."""
    path = write_crash_log(exc, data_dir)
    where = f"The details are in {path}" if path else "No log could be written"
    return (f"ce-tutor hit an unexpected error ({type(exc).__name__}) and stopped. Your progress is saved. "
            f"{where}; please include that file in a bug report.")


def _log_dirs(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    dirs = []
    try:
        from ce_tutor.progress import default_data_dir

        dirs.append(default_data_dir(data_dir) / "logs")
    except Exception:  # noqa: BLE001 - any failure here just means: try the temp dir
        pass
    dirs.append(Path(tempfile.gettempdir()) / "ce-tutor-logs")
    return dirs
