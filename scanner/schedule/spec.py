"""What a schedule is, independent of the scheduler that will run it."""
from __future__ import annotations

import ntpath
import re
from dataclasses import dataclass
from datetime import date

from scanner.errors import UsageError
from scanner.schedule.target import Platform

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Daily:
    hour: int
    minute: int

    @property
    def hhmm(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True)
class Every:
    """A fixed interval that divides a day evenly, so every scheduler can express it the same way."""

    minutes: int

    @property
    def hours(self) -> int | None:
        return self.minutes // 60 if self.minutes % 60 == 0 else None

    @property
    def iso(self) -> str:
        """ISO 8601 duration for Task Scheduler: PT4H, PT15M."""
        return f"PT{self.hours}H" if self.hours else f"PT{self.minutes}M"


Trigger = Daily | Every


def parse_daily(text: str) -> Daily:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise UsageError(f"--daily {text}: give a time of day as HH:MM (24-hour, local time of the host)")
    return Daily(int(match[1]), int(match[2]))


def parse_every(text: str) -> Every:
    match = re.fullmatch(r"(\d+)\s*([mh])", text.strip().lower())
    minutes = int(match[1]) * (60 if match[2] == "h" else 1) if match else 0
    if not match or minutes < 5 or DAY_MINUTES % minutes or (minutes < 60 and 60 % minutes) or (
            minutes > 60 and minutes % 60):
        raise UsageError(f"--every {text}: give an interval that divides a day evenly, at least 5 minutes "
                         "(e.g. 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 24h)")
    return Every(minutes)


@dataclass(frozen=True)
class ScheduleSpec:
    """One scheduled scan: which program with which arguments, when, and as whom."""

    name: str  # task / unit name, e.g. rollready-fscluster1-mixed
    program: str  # the rollready executable (absolute path on the host that will run it)
    arguments: tuple[str, ...]  # scan -i INVENTORY --phase P --unattended --out DIR ...
    working_dir: str
    trigger: Trigger
    description: str
    start: date  # first day the schedule applies (Task Scheduler needs a start boundary)
    platform: Platform = "linux"  # which scheduler's files to write, with paths in that platform's form
    run_as: str | None = None  # Windows account: DOMAIN\gmsa$, DOMAIN\user or SYSTEM
    unix_user: str = "rollready"  # systemd User=

    @property
    def is_gmsa(self) -> bool:
        return self.run_as is not None and self.run_as.endswith("$")

    @property
    def is_system(self) -> bool:
        return self.run_as is not None and self.run_as.upper() in SYSTEM_NAMES


# The names an admin may give for the LocalSystem account; the task carries its well-known SID.
SYSTEM_NAMES = ("SYSTEM", "NT AUTHORITY\\SYSTEM", "S-1-5-18")
SYSTEM_SID = "S-1-5-18"


def task_name(inventory: str, phase: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", ntpath.basename(inventory).rsplit(".", 1)[0].lower()).strip("-")
    return f"rollready-{stem or 'scan'}-{phase}"
