"""Drift between two recorded runs: new problems, still open, resolved, what else moved.

The comparison is scanner/compare.py, the same one `rollready diff` uses, so "open" means one thing
everywhere: fail, unknown, error or manual on a rule that is not info. Moves between other statuses
(pass → waived, absent → pass, …) are listed as other changes so nothing is hidden.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scanner.compare import Pair, compare_findings
from scanner.history.store import NodeRecord, RunRecord
from scanner.times import format_utc


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
    new_problems: tuple[FindingChange, ...]  # open in b, not open in a (scanner/compare.py)
    still_open: tuple[FindingChange, ...]
    resolved: tuple[FindingChange, ...]
    not_re_evaluated: tuple[FindingChange, ...]  # open in a, not evaluated in b
    other_changes: tuple[FindingChange, ...]
    node_changes: tuple[NodeChange, ...]

    @property
    def verdict_changed(self) -> bool:
        return self.a.verdict != self.b.verdict

    @property
    def is_empty(self) -> bool:
        return not (self.verdict_changed or self.new_problems or self.resolved or self.not_re_evaluated
                    or self.other_changes or self.node_changes)

    def to_dict(self) -> dict[str, Any]:
        def run(r: RunRecord) -> dict[str, Any]:
            return {"id": r.id, "scanned_at": format_utc(r.scanned_at), "cluster": r.cluster,
                    "phase": r.phase, "verdict": r.verdict, "facts_sha256": r.facts_sha256}
        return {
            "a": run(self.a), "b": run(self.b),
            "verdict": {"before": self.a.verdict, "after": self.b.verdict, "changed": self.verdict_changed},
            "new_problems": [asdict(c) for c in self.new_problems],
            "still_open": [asdict(c) for c in self.still_open],
            "resolved": [asdict(c) for c in self.resolved],
            "not_re_evaluated": [asdict(c) for c in self.not_re_evaluated],
            "other_changes": [asdict(c) for c in self.other_changes],
            "node_changes": [{"name": c.name, "summary": c.summary,
                              "before": asdict(c.before) if c.before else None,
                              "after": asdict(c.after) if c.after else None} for c in self.node_changes],
        }


def compute_drift(a: RunRecord, b: RunRecord) -> Drift:
    """Compare two runs loaded with HistoryStore.get(); a is the older one."""
    found = compare_findings((asdict(f) for f in a.findings), (asdict(f) for f in b.findings))

    def changes(pairs: list[Pair]) -> tuple[FindingChange, ...]:
        return tuple(_change(p) for p in pairs)

    return Drift(a=a, b=b, new_problems=changes(found.new), still_open=changes(found.still_open),
                 resolved=changes(found.resolved), not_re_evaluated=changes(found.not_re_evaluated),
                 other_changes=changes(found.changed), node_changes=_node_changes(a.nodes, b.nodes))


def _change(p: Pair) -> FindingChange:
    ref = p.latest
    return FindingChange(rule_id=p.rule_id, subject=p.subject, severity=ref["severity"], title=ref.get("title", ""),
                         before=p.before["status"] if p.before else None, after=p.after["status"] if p.after else None,
                         node=ref.get("node"), message=ref.get("message", ""))


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
