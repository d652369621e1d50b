"""Dates Windows writes as free-form text, read the way the collector reads them.

`Win32_QuickFixEngineering.InstalledOn` is an undocumented-format string: usually `M/d/yyyy`
whatever the culture, but `d/M/yyyy` and `dd.MM.yyyy` on some localised systems, `yyyyMMdd` or a
16-digit hex FILETIME from older update agents. collector.ps1 (`ConvertFrom-WindowsDate`) parses
them on the node, where it knows the culture; this module applies the same rules on the scanner
side, for fact files from older collectors and for text the node left unparsed. A date that cannot
be read is None (unknown), never an error.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_YEAR_LAST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[ T].*)?$")
_FILETIME = re.compile(r"^[0-9a-fA-F]{16}$")
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def _safe(year: int, month: int, day: int) -> date | None:
    if year < 1980:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_windows_date(text: str | None, *, today: date, day_first: bool | None = None) -> date | None:
    """The calendar date in `text`, or None.

    `a/b/yyyy` with both parts <= 12 is month-first (WMI's usual form) unless `day_first` says the
    node's culture writes the day first; a reading that lies in the future gives way to the other.
    A dot separator (dd.MM.yyyy) or a first part above 12 is always day-first.
    """
    if not text:
        return None
    value = text.strip()
    if _FILETIME.match(value):
        try:
            return (_FILETIME_EPOCH + timedelta(microseconds=int(value, 16) // 10)).date()
        except OverflowError:
            return None
    for pattern in (_ISO, _COMPACT, _YEAR_FIRST):
        if m := pattern.match(value):
            return _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _YEAR_LAST.match(value)
    if not m:
        return None
    first, sep, second, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    month_first = _safe(year, first, second)
    day_first_date = _safe(year, second, first)
    if sep == "." or first > 12:
        return day_first_date
    if second > 12:
        return month_first
    tomorrow = today + timedelta(days=1)
    choose_day_first = bool(day_first)
    if choose_day_first and day_first_date and month_first and day_first_date > tomorrow >= month_first:
        choose_day_first = False
    elif not choose_day_first and month_first and day_first_date and month_first > tomorrow >= day_first_date:
        choose_day_first = True
    return day_first_date if choose_day_first else month_first


def iso_date(text: str | None, *, today: date) -> str | None:
    """`parse_windows_date` as `yyyy-MM-dd`, or None."""
    parsed = parse_windows_date(text, today=today)
    return parsed.isoformat() if parsed else None
