"""UTC time, one home for the whole package: parsing ISO 8601 times from facts, files and the
history, the one text form written (2026-11-25T06:00:00Z, sortable as text) and the clock.

Server strings are untrusted: `parse_time` answers None for anything that is not a time."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 time into UTC; a naive time is taken as UTC. Raises ValueError when malformed."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """Like parse_utc, for values that may be absent or not a time at all (facts, scan metadata)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def format_utc(value: datetime) -> str:
    """The one text form stored and shown: 2026-11-25T06:00:00Z (sorts like the time it names)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time in UTC, to the second (what the stored text form can hold)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
