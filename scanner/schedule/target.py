"""The platform a schedule is written for, and its paths in that platform's own form.

A schedule is often generated on one host for another (a Linux workstation writing the task a
Windows management server will import). A path that belongs to the other platform is taken as
written and never opened here; the scheduled run itself checks what only the target can check.
"""
from __future__ import annotations

import ntpath
import os
import posixpath
import re

from scanner.errors import UsageError
from scanner.hostpaths import PLATFORMS, Platform, host_platform

__all__ = ["PLATFORMS", "Platform", "host_platform", "is_windows_absolute", "target_path"]

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)")


def is_windows_absolute(path: str) -> bool:
    return bool(_WINDOWS_ABSOLUTE.match(path))


def target_path(path: str, target: Platform, *, what: str, host: Platform | None = None) -> str:
    """path as the target host will read it: absolute, in the target's separators.

    On the target's own platform a relative path is made absolute from the working directory;
    for the other platform only an absolute path in that platform's form can be right.
    """
    host = host or host_platform()
    if target == "windows":
        if is_windows_absolute(path):
            return ntpath.normpath(path)
        if host == "windows":
            return ntpath.abspath(os.path.expanduser(path))
        raise UsageError(f"{what} {path}: a task for Windows needs the Windows path the task will read "
                         r"(e.g. C:\ProgramData\rollready\inventory.yaml or \\server\share\inventory.yaml)")
    if is_windows_absolute(path):
        raise UsageError(f"{what} {path}: a Windows path cannot go into a Linux schedule; "
                         "give the path on the Linux host (e.g. /etc/rollready/inventory.yaml)")
    if path.startswith("/"):
        return posixpath.normpath(path)
    if host == "linux":
        return os.path.abspath(os.path.expanduser(path))
    raise UsageError(f"{what} {path}: a schedule for Linux needs the absolute path on the Linux host "
                     "(e.g. /etc/rollready/inventory.yaml)")
