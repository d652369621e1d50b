"""The shared value types: Finding, Verdict and the versioned result document every report reads."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple

Status = Literal["pass", "fail", "unknown", "error", "not_applicable", "waived", "manual", "info"]
Severity = Literal["critical", "high", "medium", "low", "info"]
Phase = Literal["pre", "mixed", "post"]
VerdictStatus = Literal["GO", "GO WITH WARNINGS", "NO-GO", "INCOMPLETE"]

# `info`: a severity-info rule whose check is false. Evidence, never a failure (engine/verdict.py).
STATUSES: tuple[Status, ...] = ("fail", "unknown", "error", "manual", "waived", "info", "pass", "not_applicable")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
PHASES: tuple[Phase, ...] = ("pre", "mixed", "post")
RESULT_SCHEMA_VERSION = "1.1"


class Evidence(NamedTuple):
    """One fact value that decided a finding, next to what was expected of it.

    A named tuple, not a dataclass: the engine makes hundreds of thousands of them per large scan."""

    fact: str
    actual: Any
    op: str
    expected: Any = None
    result: Literal["true", "false", "unknown"] = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "actual": self.actual, "op": self.op, "expected": self.expected, "result": self.result}


@dataclass(slots=True)
class Finding:
    """One rule applied to one subject.

    Not frozen: a frozen dataclass's __init__ goes through object.__setattr__ per field, which
    doubled the engine's cost on large scans. Treat it as immutable all the same."""

    rule_id: str
    title: str
    severity: Severity
    status: Status
    scope: str
    subject: str  # e.g. "NODE1", "NODE1:E:", "cluster"
    area: str
    node: str | None = None  # the node the subject lives on, for the node x area matrix
    message: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    blocking: bool = True  # may this finding hold the verdict back (critical/high)?
    catalog: str | None = None  # which catalog file decided it, when one did
    waiver: dict[str, Any] | None = None  # the matching waiver (status waived)
    attestation: dict[str, Any] | None = None  # the attestation used (manual rules)
    detail: str | None = None  # error or unknown reason, one line

    def to_dict(self) -> dict[str, Any]:
        """Spelled out: dataclasses.asdict deep-copies every value and dominated large scans."""
        return {
            "rule_id": self.rule_id, "title": self.title, "severity": self.severity, "status": self.status,
            "scope": self.scope, "subject": self.subject, "area": self.area, "node": self.node,
            "message": self.message, "remediation": self.remediation, "references": list(self.references),
            "evidence": [e.to_dict() for e in self.evidence], "blocking": self.blocking, "catalog": self.catalog,
            "waiver": self.waiver, "attestation": self.attestation, "detail": self.detail,
        }


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    reason: str
    exit_code: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # status -> severity -> n

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

