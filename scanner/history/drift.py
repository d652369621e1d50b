"""Drift between two recorded runs: what failed anew, what was resolved, what else moved.

Findings are matched on (rule_id, subject). A "failure" is status `fail`; moves between other
statuses (pass → unknown, fail → waived, …) are listed as other changes so nothing is hidden.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scanner.history.store import FindingRecord, NodeRecord, RunRecord
from scanner.times import format_utc

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass(frozen=True)
class FindingChange:
    rule_id: str
    subject: str
    severity: str
    title: str
    before: str | None  # status in the older run; None: the finding did not exist
    after: str | None
    node: str | None = None
    message: str = ""  # from the newer run when it has the finding, else the older


@dataclass(frozen=True)
class NodeChange:
    name: str
    before: NodeRecord | None  # None: the node is new in the newer run
    after: NodeRecord | None

    @property
    def summary(self) -> str:
        if self.before is None:
            return f"{self.name}: added ({self.after.os_label if self.after else 'unknown'})"
        if self.after is None:
            return f"{self.name}: no longer in the scan (was {self.before.os_label})"
        return f"{self.name}: {self.before.os_label} → {self.after.os_label}"


@dataclass(frozen=True)
class Drift:
    a: RunRecord  # the older run
    b: RunRecord  # the newer run
    new_failures: tuple[FindingChange, ...]
    resolved: tuple[FindingChange, ...]
    other_changes: tuple[FindingChange, ...]
    node_changes: tuple[NodeChange, ...]

    @property
    def verdict_changed(self) -> bool:
        return self.a.verdict != self.b.verdict

    @property
    def is_empty(self) -> bool:
        return not (self.verdict_changed or self.new_failures or self.resolved
                    or self.other_changes or self.node_changes)

    def to_dict(self) -> dict[str, Any]:
        def run(r: RunRecord) -> dict[str, Any]:
            return {"id": r.id, "scanned_at": format_utc(r.scanned_at), "cluster": r.cluster,
                    "phase": r.phase, "verdict": r.verdict, "facts_sha256": r.facts_sha256}
        return {
            "a": run(self.a), "b": run(self.b),
            "verdict": {"before": self.a.verdict, "after": self.b.verdict, "changed": self.verdict_changed},
            "new_failures": [asdict(c) for c in self.new_failures],
            "resolved": [asdict(c) for c in self.resolved],
            "other_changes": [asdict(c) for c in self.other_changes],
            "node_changes": [{"name": c.name, "summary": c.summary,
                              "before": asdict(c.before) if c.before else None,
                              "after": asdict(c.after) if c.after else None} for c in self.node_changes],
        }


def compute_drift(a: RunRecord, b: RunRecord) -> Drift:
    """Compare two runs loaded with HistoryStore.get(); a is the older one."""
    before = {(f.rule_id, f.subject): f for f in a.findings}
    after = {(f.rule_id, f.subject): f for f in b.findings}
    new_failures: list[FindingChange] = []
    resolved: list[FindingChange] = []
    other: list[FindingChange] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        old_status = old.status if old else None
        new_status = new.status if new else None
        if old_status == new_status:
            continue
        change = _change(old, new)
        if new_status == "fail":
            new_failures.append(change)
        elif old_status == "fail":
            resolved.append(change)
        else:
            other.append(change)
    return Drift(a=a, b=b, new_failures=_ordered(new_failures), resolved=_ordered(resolved),
                 other_changes=_ordered(other), node_changes=_node_changes(a.nodes, b.nodes))


def _change(old: FindingRecord | None, new: FindingRecord | None) -> FindingChange:
    ref = new or old
    assert ref is not None  # one side always exists: the key came from one of them
    return FindingChange(rule_id=ref.rule_id, subject=ref.subject, severity=ref.severity, title=ref.title,
                         before=old.status if old else None, after=new.status if new else None,
                         node=ref.node, message=ref.message)


def _ordered(changes: list[FindingChange]) -> tuple[FindingChange, ...]:
    return tuple(sorted(changes, key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), c.rule_id, c.subject)))


def _node_changes(before: tuple[NodeRecord, ...], after: tuple[NodeRecord, ...]) -> tuple[NodeChange, ...]:
    """Nodes whose OS (build or full version) or reachability changed, plus nodes added or gone."""
    old = {n.name: n for n in before}
    new = {n.name: n for n in after}
    changes = []
    for name in sorted(old.keys() | new.keys()):
        o, n = old.get(name), new.get(name)
        if o is None or n is None:
            changes.append(NodeChange(name, o, n))
            continue
        known = o.build is not None and n.build is not None  # an unreachable node has not "changed OS"
        os_moved = known and (o.build, o.full_version, o.release) != (n.build, n.full_version, n.release)
        if os_moved or o.reachable != n.reachable:
            changes.append(NodeChange(name, o, n))
    return tuple(changes)
