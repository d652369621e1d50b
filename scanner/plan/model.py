"""What a rolling-upgrade plan is: ordered steps, each with its commands, its gate and its way back."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Phase = Literal["prepare", "node", "validate", "no-return", "finish"]


@dataclass(frozen=True)
class Command:
    """One PowerShell command of the runbook. `changes` commands run only with -Execute."""

    text: str
    changes: bool
    why: str = ""
    action: tuple[str, ...] = ()  # what it does to the cluster, as data: ("drain", node), ("owners", res, *nodes)…


@dataclass(frozen=True)
class Gate:
    """Where the operator stops and confirms before the next step; `scan_phase` adds a rollready scan."""

    question: str
    checks: tuple[Command, ...] = ()
    scan_phase: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    phase: Phase
    title: str
    why: str
    commands: tuple[Command, ...] = ()
    gate: Gate | None = None
    rollback: str = ""
    reversible: bool = True
    node: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class DedupVolume:
    """A deduplicated clustered volume and the owners it may have at each point of the plan."""

    resource: str
    group: str | None
    label: str  # drive letter or CSV path and label, as an operator recognises it
    csv: bool
    owners_before: tuple[str, ...]
    owner: str | None = None
    on_target: bool = False  # owned by a node already on the target release: it must never go back


@dataclass(frozen=True)
class NodeChoice:
    name: str
    roles: int
    quorum_critical: bool
    dedup_owner: bool
    release: str | None

    @property
    def reason(self) -> str:
        parts = [f"owns {self.roles} role{'s' if self.roles != 1 else ''}"]
        if self.quorum_critical:
            parts.append("holds the core cluster group or the witness")
        if self.dedup_owner:
            parts.append("owns a deduplicated volume")
        return ", ".join(parts)


@dataclass(frozen=True)
class Plan:
    cluster: str
    source_os: str
    target_os: str
    nodes: tuple[NodeChoice, ...]  # in upgrade order (already upgraded nodes are left out)
    upgraded: tuple[str, ...]  # nodes already on the target release
    steps: tuple[Step, ...]
    dedup_volumes: tuple[DedupVolume, ...]
    s2d: bool
    hyperv: bool
    cau: bool
    quorum: str
    notes: tuple[str, ...] = field(default_factory=tuple)
