"""The program's clock: the current time in UTC, or the time ``CE_TUTOR_NOW`` names.

``CE_TUTOR_NOW`` (an ISO 8601 timestamp, such as ``2026-12-09T08:00:00Z``) replaces the clock for the whole
program, so that a teacher or a test can see what would be due on a given day. A timestamp without an
offset is read as UTC. Every time ce-tutor stores or shows is in UTC.

Only wall-clock times come from here; how long something took is measured with :func:`time.monotonic`.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

NOW_ENV = "CE_TUTOR_NOW"


class ClockError(ValueError):
    """``CE_TUTOR_NOW`` is set to something that is not an ISO 8601 time; ``str()`` says what to write."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (no offset means UTC); ValueError if it is not one."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def now() -> datetime:
    """The current time, in UTC: ``CE_TUTOR_NOW`` when it is set (and not empty), else the system clock."""
    fixed = os.environ.get(NOW_ENV, "")
    if not fixed.strip():
        return datetime.now(timezone.utc)
    if len(fixed) > 64:
        raise ClockError(f"{NOW_ENV} is too long to be a time ({len(fixed)} characters)")
    try:
        return parse_time(fixed)
    except (ValueError, OverflowError):
        raise ClockError(
            f"{NOW_ENV}={ascii(fixed)} is not an ISO 8601 time; write it like 2026-12-09T08:00:00Z"
        ) from None


def check() -> str | None:
    """The problem with ``CE_TUTOR_NOW``, or None if it is unset or valid."""
    try:
        now()
    except ClockError as exc:
        return str(exc)
    return None


def iso(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 with seconds, e.g. ``2026-12-09T08:00:00Z`` (for people and exports)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
