"""UTC timestamps as the history stores them: ISO 8601 with a Z, sortable as text."""
from __future__ import annotations

from datetime import datetime, timezone


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 time; a naive time is taken as UTC. Raises ValueError when malformed."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_utc(value: datetime) -> str:
    """The one text form stored and shown: 2026-11-25T06:00:00Z (sorts like the time it names)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
