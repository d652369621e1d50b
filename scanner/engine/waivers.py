"""Waivers: an accepted, justified and time-bound exception for findings of one rule.

A waiver names a rule (id or glob), a subject selector (glob over the finding's subject, and
optionally its node), a justification, who approved it and the day it expires. While it is valid
it turns a matching `fail`, `unknown` or `manual` finding into `waived`; the finding keeps its
evidence and gains `waiver` (with the status it had). On its expiry day it stops applying and is
reported under `expired`; one that waives nothing is reported under `stale`.

`error` findings are never waived: an error means the rule or its catalog is broken, and hiding
that would hide every future result of the rule. A waiver that only matches errors is reported as
stale with that reason.

The subject selector is shared with attestations; reading waiver files is
scanner/exception_files.py (the engine does no I/O).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scanner.model import Finding

WAIVABLE = ("fail", "unknown", "manual")


@dataclass(frozen=True)
class Selector:
    """Which findings an entry is about: rule id or glob, subject glob, optional node glob."""

    rule: str
    subject: str
    node: str | None = None

    def matches(self, finding: Finding) -> bool:
        if not _glob(finding.rule_id, self.rule):
            return False
        if not _glob(finding.subject, self.subject):
            return False
        return self.node is None or (finding.node is not None and _glob(finding.node, self.node))


def _glob(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


@dataclass(frozen=True)
class Waiver:
    selector: Selector
    justification: str
    approved_by: str
    expires: dt.date
    id: str | None = None
    ticket: str | None = None
    file: str = ""
    line: int | None = None

    def valid_on(self, today: dt.date) -> bool:
        """Valid up to the day before `expires`: on the expiry day it no longer hides anything."""
        return today < self.expires

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "rule": self.selector.rule, "subject": self.selector.subject, "node": self.selector.node,
            "justification": self.justification, "approved_by": self.approved_by,
            "expires": self.expires.isoformat(), "ticket": self.ticket, "file": self.file, "line": self.line,
        }
        return {k: v for k, v in d.items() if v is not None}


# ---------------------------------------------------------------- applying

def _ref(f: Finding) -> dict[str, Any]:
    return {"rule_id": f.rule_id, "subject": f.subject, "status": f.status}


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date,
                  rule_ids: Iterable[str] = ()) -> tuple[list[Finding], dict[str, list[dict[str, Any]]]]:
    """Findings with valid waivers applied (first matching waiver wins), and the report:
    `applied` (with the findings each one waived), `expired`, `stale` (each with a reason)."""
    known = list(rule_ids)
    valid = [w for w in waivers if w.valid_on(today)]
    waived_by: dict[int, list[Finding]] = {id(w): [] for w in waivers}
    out: list[Finding] = []
    for f in findings:
        if f.status in WAIVABLE:
            waiver = next((w for w in valid if w.selector.matches(f)), None)
            if waiver is not None:
                waived_by[id(waiver)].append(f)
                f = replace(f, status="waived", waiver={**waiver.to_dict(), "original_status": f.status})
        out.append(f)
    report: dict[str, list[dict[str, Any]]] = {"applied": [], "expired": [], "stale": []}
    for w in waivers:
        matched = [f for f in findings if w.selector.matches(f)]
        if not w.valid_on(today):
            hidden = [_ref(f) for f in matched if f.status in WAIVABLE]
            report["expired"].append({**w.to_dict(), "findings": hidden})
        elif waived_by[id(w)]:
            report["applied"].append({**w.to_dict(), "findings": [_ref(f) for f in waived_by[id(w)]]})
        else:
            # unused: matches no finding at all; stale: matches findings that no longer need it
            report["stale"].append({**w.to_dict(), "reason": _stale_reason(w, matched, known),
                                    "status": "stale" if matched else "unused"})
    return out, report


def _stale_reason(w: Waiver, matched: list[Finding], known: list[str]) -> str:
    if known and not any(_glob(r, w.selector.rule) for r in known):
        return f"no rule {w.selector.rule!r} in the rule pack"
    if not matched:
        return "matches no finding of this evaluation (subject, node or phase differ)"
    statuses = {f.status for f in matched}
    if "error" in statuses and not statuses & set(WAIVABLE):
        return "matches only error findings; errors are never waived (fix the rule or its catalog)"
    if statuses & set(WAIVABLE):
        return "every matching finding was already waived by an earlier waiver"
    return "every matching finding passes or does not apply: the waiver can be removed"
