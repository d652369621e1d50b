"""The one place a warning reaches the user: `rollready: warning: ...` on stderr, made inert.

Library modules mark the warnings a user must see (scanner/notices.py); main() shows them for the
duration of a command through a handler on the `scanner` loggers, so each is printed once, by the
command line, whichever module or thread said it.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from scanner.inert import inert
from scanner.notices import FOR_USER


def print_warning(message: str) -> None:
    print(f"rollready: warning: {inert(message)}", file=sys.stderr, flush=True)


class _Shown(logging.Handler):
    """Prints the records marked for the user; every other record is the log file's business."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, FOR_USER, False):
            print_warning(record.getMessage())


_HANDLER = _Shown(logging.WARNING)


@contextmanager
def shown() -> Iterator[None]:
    """Show the marked warnings on stderr for the duration (nested uses print each warning once)."""
    logger = logging.getLogger("scanner")
    if _HANDLER in logger.handlers:
        yield
        return
    logger.addHandler(_HANDLER)
    try:
        yield
    finally:
        logger.removeHandler(_HANDLER)
