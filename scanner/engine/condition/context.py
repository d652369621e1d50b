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

    A plain slotted class; the engine makes one per rule and readies it for each subject.

    `labels`: the loop variables of the quantifiers running now, each with the label of the element
    it is bound to. Evidence read through one names that element (`o[NODE2].os.build`, not
    `o.os.build` twice): the fact is named as the evidence is made (fact_name), once, rather than
    each line rebuilt after every element (that was half of a quantifier's time)."""

    __slots__ = ("values", "catalogs", "now", "evidence", "offenders", "catalogs_used", "labels")

    def __init__(self, values: dict[str, Any], catalogs: dict[str, Catalog], now: datetime):
        self.values = values
        self.catalogs = catalogs
        self.now = now
        self.evidence: list[Evidence] = []
        self.offenders: list[str] = []
        self.catalogs_used: set[str] = set()
        self.labels: dict[str, str] = {}

    def fact_name(self, path: str) -> str:
        """path as the evidence shows it: `o.b` read while `o` is bound to NODE2 is `o[NODE2].b`."""
        if self.labels:
            head, dot, rest = path.partition(".")
            label = self.labels.get(head)
            if label is not None:
                return f"{head}[{label}]{dot}{rest}"
        return path

    def note(self, item: Evidence) -> None:
        if len(self.evidence) < MAX_EVIDENCE:
            if self.labels:
                item = new_evidence((self.fact_name(item[0]), item[1], item[2], item[3], item[4]))
            self.evidence.append(item)


# Evidence from a ready tuple in one C call (a named tuple's own constructor is Python code);
# the engine makes one per fact test.
new_evidence: Callable[[tuple[Any, Any, str, Any, Tri]], Evidence] = functools.partial(tuple.__new__, Evidence)
