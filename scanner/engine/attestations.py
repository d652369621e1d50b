"""Attestations: a person's dated statement, with evidence, for what no collector can read.

Attestation rules (`kind: attestation`) give `manual` findings: not reviewed, never a pass. A valid
attestation (dated on or before the evaluation day, not expired) for the finding's rule and
subject turns it into `pass`, or into `fail` when the statement says "not supported"
(`status: fail`); the finding carries the attestation. Attestations only ever decide `manual`
findings: an automated check's result is never overridden by a statement.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from scanner.engine.waivers import Selector
from scanner.model import Finding, Status


@dataclass(frozen=True)
class Attestation:
    """One statement of an attestations file: who attested what, for which findings, valid when."""

    selector: Selector
    statement: str
    attested_by: str
    evidence: tuple[str, ...]
    date: dt.date
    expires: dt.date
    status: Status = "pass"  # the schema allows pass or fail
    id: str | None = None
    file: str = ""
    line: int | None = None

    def state_on(self, today: dt.date) -> str:
        if today < self.date:
            return "not_yet_valid"
        return "valid" if today < self.expires else "expired"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "rule": self.selector.rule, "subject": self.selector.subject, "node": self.selector.node,
            "statement": self.statement, "attested_by": self.attested_by, "evidence": list(self.evidence),
            "date": self.date.isoformat(), "expires": self.expires.isoformat(), "status": self.status,
            "file": self.file, "line": self.line,
        }
        return {k: v for k, v in d.items() if v is not None}


def apply_attestations(findings: Sequence[Finding], attestations: Sequence[Attestation],
                       today: dt.date) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Manual findings decided by valid attestations (first match wins), and one report entry per
    attestation: its state (applied, expired, not_yet_valid, stale) and the findings it decided."""
    decided: dict[int, list[Finding]] = {id(a): [] for a in attestations}
    out: list[Finding] = []
    for f in findings:
        if f.status == "manual":
            att = next((a for a in attestations if a.state_on(today) == "valid" and a.selector.matches(f)), None)
            if att is not None:
                decided[id(att)].append(f)
                f = replace(f, status=att.status, attestation=att.to_dict(), message=_message(f, att))
        out.append(f)
    report = []
    for a in attestations:
        state = a.state_on(today)
        if state == "valid":
            state = "applied" if decided[id(a)] else "stale"
        matched = decided[id(a)] or [f for f in findings if a.selector.matches(f) and f.status == "manual"]
        report.append({**a.to_dict(), "state": state,
                       "findings": [{"rule_id": f.rule_id, "subject": f.subject} for f in matched]})
    return out, report


def _message(f: Finding, a: Attestation) -> str:
    verdict = "attested" if a.status == "pass" else "attested as NOT supported"
    return f"{verdict} by {a.attested_by} on {a.date.isoformat()}: {a.statement}"
