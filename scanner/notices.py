"""Warnings the user must see: said where they arise, shown by the command line alone.

Library code never prints (only scanner/cli/ does). It hands such a warning to warn(): the record
goes to the caller's own logger, so an unattended run's log file keeps it under the module's name,
and it is marked FOR_USER. The command line's handler (scanner/cli/notices.py) prints each marked
record once on stderr as `rollready: warning: ...`, made inert there; a program using the library
sees the same records through logging.
"""
from __future__ import annotations

import logging

FOR_USER = "rollready_for_user"  # the LogRecord attribute that marks a warning the user must see


def warn(log: logging.Logger, message: str, *, level: int = logging.WARNING) -> None:
    """Log message on log at level (WARNING, or ERROR where the log file has always said ERROR),
    marked for the user."""
    log.log(level, "%s", message, extra={FOR_USER: True})
