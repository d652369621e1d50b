"""One node identity, and whether a scan covered every member of the cluster.

A node is known by up to two names: the name the inventory gave (an FQDN, a short name, an address)
and the computer name the collector reports once the node is reached. The cluster's own member list
(`Get-ClusterNode`, in the facts' `cluster.nodes`) uses NetBIOS names. Names are matched once, here,
case-insensitively and on the first DNS label (`node1.corp.example` is `NODE1`), never on an address.

A member of the cluster that was not scanned keeps the verdict from GO (scanner/engine/verdict.py):
the verdict may only speak for what was seen.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from scanner.facts.model import FactsDoc, NodeFacts

MemberStatus = Literal["scanned", "unreachable", "not_in_scan"]


def name_key(name: str | None) -> str | None:
    """The comparable form of a node name: casefolded, without a :port, first DNS label only.
    An IP address (or empty name) has no key: it says nothing about the computer name."""
    if not name:
        return None
    text = name.strip().casefold()
    if text.startswith("["):  # [::1]:5986
        return None
    host, _, port = text.rpartition(":")
    if host and port.isdigit() and ":" not in host:
        text = host
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    return text.split(".", 1)[0] or None


@dataclass(frozen=True)
class NodeIdentity:
    """A scanned node's names: `name` as the facts give it (the computer name once reached, else the
    inventory name) and `inventory_name` when the inventory spelled it differently."""

    name: str
    inventory_name: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k for k in (name_key(self.name), name_key(self.inventory_name)) if k)

    def is_named(self, other: str | None) -> bool:
        key = name_key(other)
        return key is not None and key in self.keys

    @classmethod
    def of(cls, node: NodeFacts) -> NodeIdentity:
        return cls(node["name"], node.get("inventory_name"))


@dataclass(frozen=True)
class Member:
    name: str  # as the cluster lists it
    status: MemberStatus
    node: str | None  # the facts node that matched it


@dataclass(frozen=True)
class Coverage:
    """Members of the cluster (None: the member list was not collected) against the nodes scanned."""

    cluster: str | None
    members: tuple[Member, ...] | None
    outsiders: tuple[str, ...]  # reached nodes that the cluster does not list as members

    @property
    def not_scanned(self) -> list[str]:
        return [m.name for m in self.members or () if m.status != "scanned"]

    @property
    def complete(self) -> bool | None:
        if self.members is None:
            return None
        return not self.not_scanned and not self.outsiders

    def problems(self) -> list[str]:
        """One line per member left out of the scan and per scanned node that is not a member.
        Members that were tried but not reached are already collection gaps of their own."""
        cluster = self.cluster or "the cluster"
        lines = [f"{m.name} is a member of {cluster} but was not scanned (not in the inventory or --node list)"
                 for m in self.members or () if m.status == "not_in_scan"]
        return lines + self.outsider_problems()

    def outsider_problems(self) -> list[str]:
        cluster = self.cluster or "the cluster"
        return [f"{name} was scanned but {cluster} does not list it as a member" for name in self.outsiders]

    def to_dict(self) -> dict[str, Any]:
        return {
            "members": None if self.members is None else [m.name for m in self.members],
            "scanned": [m.name for m in self.members or () if m.status == "scanned"],
            "not_scanned": [{"name": m.name, "reason": m.status} for m in self.members or () if m.status != "scanned"],
            "not_members": list(self.outsiders),
            "complete": self.complete,
        }


def coverage(doc: FactsDoc) -> Coverage:
    """Match the cluster's member list with the facts' nodes, each member at most once."""
    cluster = doc["cluster"]
    nodes = [(NodeIdentity.of(n), bool(n.get("reachable"))) for n in doc["nodes"]]
    listed = cluster.get("nodes")
    if listed is None:
        return Coverage(cluster.get("name"), None, ())
    # Each name key to the first node carrying it, in the facts' order: one pass, not a search per
    # member (that was quadratic: 3 s of name parsing for a 1,000-node cluster).
    by_key: dict[str, tuple[NodeIdentity, bool]] = {}
    for ident, up in nodes:
        for node_key in ident.keys:
            by_key.setdefault(node_key, (ident, up))
    members = []
    matched: set[str] = set()
    for entry in listed:
        key = name_key(entry["name"])
        found = by_key.get(key) if key is not None else None
        if found is None:
            members.append(Member(entry["name"], "not_in_scan", None))
            continue
        ident, up = found
        matched.add(ident.name)
        members.append(Member(entry["name"], "scanned" if up else "unreachable", ident.name))
    outsiders = tuple(ident.name for ident, up in nodes if up and ident.name not in matched)
    return Coverage(cluster.get("name"), tuple(members), outsiders)


def same_cluster(a: str | None, b: str | None) -> bool:
    """Cluster names compare like node names (CLU1 is clu1.corp.example)."""
    return name_key(a) is not None and name_key(a) == name_key(b)


def cluster_conflicts(expected: str | None, reported: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """The reached nodes that contradict the cluster scanned, as (node, the cluster name it reports).

    `reported` pairs each reached node with the cluster name its view carries (server text: anything).
    With the inventory's name (`expected`): every node reporting another cluster. Without one (`--node`
    without --cluster, collector outputs given to `evaluate`): when the nodes report more than one
    cluster, the first node reporting each."""
    named = [(node, name) for node, name in reported if isinstance(name, str) and name_key(name) is not None]
    if expected is not None:
        return [(node, name) for node, name in named if not same_cluster(expected, name)]
    first: dict[str | None, tuple[str, str]] = {}
    for node, name in named:
        first.setdefault(name_key(name), (node, name))
    return list(first.values()) if len(first) > 1 else []


def repeated_nodes(reached: Iterable[tuple[str, str]]) -> str | None:
    """The line naming inventory entries that reached the same computer, from (inventory name, name
    the node reports) for each reached node; None when every entry reached its own. A facts document
    holds each node once (check_facts): two entries for one node (a DNS alias beside the name), or two
    machines answering with one name, must not be evaluated as two members."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for entry, name in reached:
        entries.setdefault(name.lower(), (name, []))[1].append(entry)
    repeated = [(name, found) for name, found in entries.values() if len(found) > 1]
    if not repeated:
        return None
    said = "; ".join(f"{' and '.join(found)} reached the same node {name}" for name, found in repeated)
    return f"inventory entries {said}: list each node of the cluster once"


def conflict_line(expected: str | None, conflicts: Iterable[tuple[str, str]]) -> str:
    """The one line that names the nodes of a cluster_conflicts() result and the clusters they report."""
    if expected is not None:
        said = "; ".join(f"{node} reports cluster {name}" for node, name in conflicts)
        return f"{said}, not {expected}: fix the inventory (a cluster's history is never merged with another's)"
    said = ", ".join(f"{node} reports {name}" for node, name in conflicts)
    return f"the nodes belong to different clusters ({said}); scan or evaluate one cluster at a time"
