"""What changed between two results: the one comparison behind `rollready diff` and `history drift`.

Findings are matched on (rule_id, subject). One definition of **open**: a finding that still needs
someone's attention, i.e. status fail, unknown, error or manual on a rule that is not `info`
(info findings, with status `info` or severity info, are evidence and never a problem, so never a
new one either). Each pair lands in exactly one bucket:

| bucket             | before            | after                          |
|--------------------|-------------------|--------------------------------|
| `new`              | absent or closed  | open                           |
| `still_open`       | open              | open                           |
| `resolved`         | open              | present and closed             |
| `not_re_evaluated` | open              | absent (e.g. a pre-phase rule in a post scan): neither fixed nor open |
| `changed`          | any other status move (pass → waived, absent → pass, ...), so nothing is hidden |
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OPEN_STATUSES = ("fail", "unknown", "error", "manual")
BUCKETS = ("new", "still_open", "resolved", "not_re_evaluated", "changed")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

Finding = Mapping[str, Any]  # a result document's finding, or a history FindingRecord as a dict


def is_open(finding: Finding | None) -> bool:
    """Still needs someone's attention: fail/unknown/error/manual, never on an info rule."""
    return (finding is not None and finding.get("status") in OPEN_STATUSES
            and finding.get("severity") != "info")


@dataclass(frozen=True)
class Pair:
    """One (rule_id, subject) on both sides; either side None when the finding did not exist there."""

    rule_id: str
    subject: str
    before: Finding | None
    after: Finding | None

    @property
    def latest(self) -> Finding:
        """The newer side when it exists (its message says what is wrong now), else the older."""
        found = self.after if self.after is not None else self.before
        assert found is not None  # a pair comes from at least one side
        return found


@dataclass(frozen=True)
class Comparison:
    new: list[Pair] = field(default_factory=list)
    still_open: list[Pair] = field(default_factory=list)
    resolved: list[Pair] = field(default_factory=list)
    not_re_evaluated: list[Pair] = field(default_factory=list)
    changed: list[Pair] = field(default_factory=list)

    def bucket(self, name: str) -> list[Pair]:
        return list(getattr(self, name))

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in BUCKETS}


def compare_findings(before: Iterable[Finding], after: Iterable[Finding]) -> Comparison:
    """Sort every (rule_id, subject) of either side into its bucket; each bucket by severity, rule, subject."""
    b = {(f["rule_id"], f["subject"]): f for f in before}
    a = {(f["rule_id"], f["subject"]): f for f in after}
    out = Comparison()
    for key in sorted(b.keys() | a.keys()):
        fb, fa = b.get(key), a.get(key)
        pair = Pair(key[0], key[1], fb, fa)
        was, now = is_open(fb), is_open(fa)
        if now:
            (out.still_open if was else out.new).append(pair)
        elif was:
            (out.resolved if fa is not None else out.not_re_evaluated).append(pair)
        elif (fb or {}).get("status") != (fa or {}).get("status"):
            out.changed.append(pair)
    for name in BUCKETS:
        getattr(out, name).sort(key=lambda p: (SEVERITY_ORDER.get(str(p.latest.get("severity")), 9), p.rule_id,
                                               p.subject))
    return out
