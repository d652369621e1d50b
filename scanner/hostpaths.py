"""Where rollready keeps its own state on the host it runs on (not the shipped data: see paths.py).

Interactive use keeps the history per user (platformdirs: ~/.local/share/rollready on Linux,
honouring XDG_DATA_HOME; %LOCALAPPDATA%\\rollready on Windows). Scheduled Windows tasks share one
machine-wide folder, %ProgramData%\\rollready, which the task's service account (gMSA, SYSTEM) and
the admins reading the history can all reach.
"""
from __future__ import annotations

import ntpath
import os
import sys
from pathlib import Path
from typing import Literal

import platformdirs

Platform = Literal["windows", "linux"]
PLATFORMS: tuple[Platform, ...] = ("windows", "linux")
APP = "rollready"
LINUX_STATE_DIR = "/var/lib/rollready"
WINDOWS_PROGRAMDATA = "C:\\ProgramData"


def host_platform() -> Platform:
    """The platform this process runs on, as schedules and default locations name it."""
    return "windows" if sys.platform == "win32" else "linux"


def user_data_dir() -> Path:
    """This user's rollready folder on this host."""
    return platformdirs.user_data_path(APP, appauthor=False)


def machine_data_dir(platform: Platform, host: Platform | None = None) -> str:
    """The machine-wide state folder of a host of the given platform, in that platform's form.

    On a Windows host the real %ProgramData% is used; written from another platform, Windows'
    default location is assumed.
    """
    if platform == "linux":
        return LINUX_STATE_DIR
    base = os.environ.get("ProgramData") if (host or host_platform()) == "windows" else None
    return ntpath.join(base or WINDOWS_PROGRAMDATA, APP)
