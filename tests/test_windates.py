"""InstalledOn and other free-form Windows dates: every form Windows writes, never an error."""
from __future__ import annotations

from datetime import date

import pytest

from scanner.windates import iso_date, parse_windows_date

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(("text", "expected"), [
    ("11/5/2026", date(2026, 11, 5)),        # M/d/yyyy, WMI's usual form
    ("3/14/2025", date(2025, 3, 14)),
    ("14/3/2025", date(2025, 3, 14)),        # d/M/yyyy (en-GB, fr-FR): day > 12
    ("05.11.2026", date(2026, 11, 5)),       # dd.MM.yyyy (de-DE, ru-RU)
    ("5.3.2024", date(2024, 3, 5)),
    ("20261105", date(2026, 11, 5)),         # yyyyMMdd
    ("2026-11-05", date(2026, 11, 5)),
    ("2026/11/05", date(2026, 11, 5)),
    ("01d2a1b2c3d4e5f6", date(2017, 3, 20)),  # hex FILETIME (older update agents)
    ("4/12/2023 12:00:00 AM", date(2023, 4, 12)),
    (" 11/5/2026 ", date(2026, 11, 5)),
])
def test_every_windows_form_parses(text: str, expected: date) -> None:
    assert parse_windows_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["", "n/a", "31/31/2024", "2/30/2024", "13.13.2024", "12/12/1601", "yesterday", "ffffffffffffffff"])
def test_unreadable_dates_are_none_not_errors(text: str) -> None:
    assert parse_windows_date(text, today=TODAY) is None
    assert iso_date(text, today=TODAY) is None


def test_ambiguous_dates_are_month_first_unless_the_culture_is_day_first() -> None:
    assert parse_windows_date("3/4/2025", today=TODAY) == date(2025, 3, 4)
    assert parse_windows_date("3/4/2025", today=TODAY, day_first=True) == date(2025, 4, 3)


def test_a_reading_in_the_future_gives_way_to_the_other() -> None:
    # 11/12/2026 month-first is 12 Nov (past, kept); 12/11/2026 month-first is 11 Dec (future): day-first
    assert parse_windows_date("11/12/2026", today=TODAY) == date(2026, 11, 12)
    assert parse_windows_date("12/11/2026", today=TODAY) == date(2026, 11, 12)
    assert parse_windows_date("11/12/2026", today=TODAY, day_first=True) == date(2026, 11, 12)
