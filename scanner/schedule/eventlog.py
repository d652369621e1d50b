"""Scheduled-run failures in the Windows Application event log, where Windows admins look first.

Written with the in-box `eventcreate` command (no pywin32 needed): source "rollready", event ID 100
for a failed run, 101 for a notification that could not be delivered. The first event creates the
source, which needs an administrator; if that is refused the run log still has the failure.
Elsewhere this does nothing: the run log (and the notification) carry the failure.
"""
from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

SOURCE = "rollready"
RUN_FAILED = 100
NOTIFY_FAILED = 101
MAX_DESCRIPTION = 1000  # eventcreate refuses longer descriptions; the run log has the rest
Runner = Callable[..., subprocess.CompletedProcess]


def eventcreate_argv(message: str, event_id: int) -> list[str]:
    """The eventcreate command line; the description is one line of printable text."""
    text = " ".join("".join(c if c.isprintable() else " " for c in message).split())
    if len(text) > MAX_DESCRIPTION:
        text = text[:MAX_DESCRIPTION - 1] + "…"
    return ["eventcreate", "/T", "ERROR", "/ID", str(event_id), "/L", "APPLICATION", "/SO", SOURCE,
            "/D", text or "rollready scheduled run failed"]


def report(message: str, event_id: int = RUN_FAILED, *, run: Runner | None = None) -> bool:
    """Write one error event on Windows; True when written. Never raises: the run log is the fallback."""
    if sys.platform != "win32":
        return False
    try:
        done = (run or subprocess.run)(eventcreate_argv(message, event_id), capture_output=True, timeout=30,
                                       check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not write to the Windows event log: %s", exc)
        return False
    if done.returncode != 0:
        log.warning("eventcreate exited %s: could not write to the Windows event log (the first event creates "
                    "the 'rollready' source, which needs an administrator)", done.returncode)
        return False
    return True
