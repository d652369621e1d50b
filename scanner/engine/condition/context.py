"""What a condition evaluates in: the names it reads, the catalogs, the scan time, and what it
notes as it goes (evidence, offenders, the catalog files used); and the error a broken rule or
catalog entry raises (an `error` finding, never a crash)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scanner.engine.catalogs import Catalog
from scanner.engine.condition.values import Tri
from scanner.model import Evidence

MAX_EVIDENCE = 40  # evidence items per finding; the rest would only lengthen the report


class EvalError(Exception):
    """The rule or its data is broken for this subject (becomes an `error` finding)."""

    def __init__(self, message: str, catalog: str | None = None):
        super().__init__(message)
        self.catalog = catalog


class Context:
    """Names a condition can read: scope variables, `scan`, `cluster`, `nodes`, `params`, and the
    loop variables of the collection forms while they run.

    A plain slotted class; the engine makes one per rule and readies it for each subject."""

    __slots__ = ("values", "catalogs", "now", "evidence", "offenders", "catalogs_used")

    def __init__(self, values: dict[str, Any], catalogs: dict[str, Catalog], now: datetime):
        self.values = values
        self.catalogs = catalogs
        self.now = now
        self.evidence: list[Evidence] = []
        self.offenders: list[str] = []
        self.catalogs_used: set[str] = set()

    def note(self, item: Evidence) -> None:
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(item)


# Evidence from a ready tuple in one C call (a named tuple's own constructor is Python code);
# the engine makes one per fact test.
new_evidence: Callable[[tuple[Any, Any, str, Any, Tri]], Evidence] = functools.partial(tuple.__new__, Evidence)
