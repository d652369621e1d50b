"""The cluster view rules read: the facts document plus its joins, built once per scan.

`FactsView` adds what rules read joined (volumes with their owner and possible owners, shares with
their volume, mixed mode, each node's cluster membership) without changing the document. A scan
builds it once (scanner/pipeline): the mixed-mode clock, the evaluation and the plan share it.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any, Literal

from scanner.facts.coverage import Coverage, NodeIdentity, coverage, name_key
from scanner.facts.model import (
    ClusterFacts,
    ClusterMember,
    ClusterView,
    ClusterVolume,
    DiskOwner,
    FactsDoc,
    HotfixFacts,
    NodeFacts,
    NodeView,
    OsFacts,
    ScanSection,
    ShareFacts,
    ShareView,
    VolumeFacts,
)
from scanner.versions import release_of, release_of_build
from scanner.windates import iso_date

# The per-node lists rules read flattened over the cluster (scanner/engine/scopes.py), each item with its `node`.
Flattened = Literal["shares", "drivers", "products"]


@dataclass(frozen=True)
class FactsView:
    """The facts document plus the joins rules read. Subjects per scope come from here."""

    doc: FactsDoc
    cluster: ClusterView
    nodes: list[NodeView]
    volumes: list[ClusterVolume] | None  # None: the cluster resources could not be collected
    shares: list[ShareView]
    drivers: list[dict[str, Any]]
    products: list[dict[str, Any]]
    missing: dict[Flattened, list[str]]  # collection key -> nodes where it could not be collected
    coverage: Coverage  # the cluster's members against the nodes scanned

    @property
    def scan(self) -> ScanSection:
        return self.doc["scan"]

    def node_of(self, member: ClusterMember) -> NodeView | None:
        """The scanned node a member of the cluster's member list was matched with (scanner/facts/coverage.py),
        None when it was not scanned."""
        return self._by_member.get(member["name"])

    @functools.cached_property
    def _by_member(self) -> dict[str, NodeView]:
        nodes = {n["name"]: n for n in self.nodes}
        return {m.name: nodes[m.node] for m in self.coverage.members or () if m.node is not None}

    def with_mixed_mode_since(self, since: str | None) -> FactsView:
        """This view over a copy of the document whose `scan.mixed_mode_since` is `since`.

        The mixed-mode clock needs the view (is the cluster mixed?) and rule MIX-002 reads the date
        from the document: the collected document is left as it was, and the joins are not rebuilt
        (none of them reads the scan section's date)."""
        scan: ScanSection = {**self.doc["scan"], "mixed_mode_since": since}
        return replace(self, doc={**self.doc, "scan": scan})


def build_view(doc: FactsDoc) -> FactsView:
    """The joins rules read over a facts document (checked, or at least of the document's shape)."""
    today = _scan_date(doc)
    cov = coverage(doc)
    listed = doc["cluster"].get("nodes")
    members = None if listed is None else _memberships(cov, listed)
    nodes = [_node_view(n, members, today) for n in doc["nodes"]]
    by_name: dict[str | None, NodeView] = {key: n for n in nodes for key in NodeIdentity.of(n).keys}  # name_key
    # Members left out of the scan still count, by the build Get-ClusterNode reports for them: scanning
    # only the upgraded node of a mixed cluster must not look like a cluster on one release.
    absent = {m.name.casefold(): m for m in cov.members or () if m.status == "not_in_scan"}
    absent_members = [e for e in listed or () if e["name"].casefold() in absent]
    mixed, releases = _mixed_mode(nodes, [release_of_build(e.get("build_number")) for e in absent_members])
    cluster: ClusterView = {**doc["cluster"], "mixed_mode": mixed, "os_releases": releases}
    _add_hyperv_summary(cluster, nodes)
    cluster["node_count"] = len(nodes)
    volumes = _volumes(doc["cluster"], by_name, {name_key(e["name"]): e for e in absent_members})
    cluster["volumes"] = volumes
    return FactsView(
        doc=doc,
        cluster=cluster,
        nodes=nodes,
        volumes=volumes,
        shares=_shares(nodes),
        drivers=[item for n in nodes for item in n.get("drivers") or []],
        products=[item for n in nodes for item in n.get("products") or []],
        missing={"shares": [n["name"] for n in nodes if n.get("shares") is None],
                 "drivers": [n["name"] for n in nodes if n.get("drivers") is None],
                 "products": [n["name"] for n in nodes if n.get("products") is None]},
        coverage=cov,
    )


def view_of(doc: FactsDoc, view: FactsView | None) -> FactsView:
    """The view of `doc`: the one the caller built already (a scan builds it once and passes it on),
    else built now. A view of another document is a programming error."""
    if view is None:
        return build_view(doc)
    if view.doc is not doc:
        raise ValueError("the view was built from another facts document")
    return view


def _memberships(cov: Coverage, listed: Sequence[ClusterMember]) -> dict[str, ClusterMember]:
    """Each scanned node's entry in the cluster's member list, as coverage matched them: a node's names
    (computer name and inventory name) are matched with the member list once, in scanner/facts/coverage.py."""
    out: dict[str, ClusterMember] = {}
    for member, entry in zip(cov.members or (), listed):
        if member.node is not None:
            out.setdefault(member.node, entry)
    return out


def _scan_date(doc: FactsDoc) -> date:
    """The day the facts were collected (a hotfix date after it is misread), else today."""
    stamp = doc.get("scan", {}).get("collected_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return datetime.now(timezone.utc).date()


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)")


def _hotfixes(hotfixes: list[HotfixFacts], today: date) -> list[HotfixFacts]:
    """Each hotfix with `installed_on` as yyyy-MM-dd or None: free-form text is parsed (C8)."""
    out = []
    for fix in hotfixes:
        fix = fix.copy()
        value = fix.get("installed_on")
        raw = fix.get("installed_on_raw")
        if value is None or not _ISO_DAY.match(value):
            fix["installed_on"] = iso_date(value or raw, today=today) if (value or raw) else None
        out.append(fix)
    return out


def _add_hyperv_summary(cluster: ClusterView, nodes: list[NodeView]) -> None:
    """vSwitch names per Hyper-V node (Microsoft: identical on every node) and the lowest VM version."""
    names: dict[str, list[str]] = {}
    complete = True
    versions: list[str] = []
    for node in nodes:
        hv = node.get("hyperv")
        if not node.get("reachable") or hv is None:
            complete = False
            continue
        if not hv.get("present"):
            continue
        switches, vms = hv.get("switches"), hv.get("vms")
        if switches is None:
            complete = False
        else:
            names[node["name"]] = sorted({s["name"] for s in switches}, key=str.lower)
        if vms is None:
            complete = False
        else:
            versions += [vm["version"] for vm in vms if vm.get("version")]
    distinct = {tuple(n.lower() for n in v) for v in names.values()}
    consistent: bool | None = len(distinct) <= 1
    if consistent and not complete:
        consistent = None
    cluster["vswitch_names_by_node"] = names
    cluster["vswitch_names_consistent"] = consistent
    cluster["vm_versions_min"] = min(versions, key=_version_key) if versions and complete else None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("."))


def _node_view(node: NodeFacts, members: dict[str, ClusterMember] | None, today: date) -> NodeView:
    view: NodeView = {**node}
    hotfixes = node.get("hotfixes")
    if isinstance(hotfixes, list):
        view["hotfixes"] = _hotfixes(hotfixes, today)
    os_ = node.get("os")
    if isinstance(os_, dict):
        os_view: OsFacts = {**os_}
        if os_view.get("release") is None:
            os_view["release"] = release_of(os_view.get("version"))
        ubr = os_view.get("ubr")
        if os_view.get("full_version") is None and os_view.get("version") and isinstance(ubr, int):
            os_view["full_version"] = f"{os_view.get('version')}.{ubr}"
        view["os"] = os_view
    drivers, products, shares = node.get("drivers"), node.get("products"), node.get("shares")
    if isinstance(drivers, list):
        view["drivers"] = [{**item, "node": node["name"]} for item in drivers]
    if isinstance(products, list):
        view["products"] = [{**item, "node": node["name"]} for item in products]
    if isinstance(shares, list):
        view["shares"] = [{**item, "node": node["name"]} for item in shares]
    if members is not None:  # None: the member list was not collected
        view["membership"] = members.get(node["name"])
    return view


def _mixed_mode(nodes: list[NodeView], absent: list[str | None]) -> tuple[bool | None, list[str] | None]:
    """Mixed mode: members run different OS releases. A node whose own OS was not collected, and a
    member not scanned at all (`absent`), is judged by the build Get-ClusterNode reports for it; with
    neither, mixed mode is unknown unless the others already differ. (The HKLM\\Cluster MixedMode
    value is not used: it outlives the upgrade.) Returns mixed mode and the releases known."""
    releases = {node_release(n) for n in nodes} | set(absent)
    known = sorted(r for r in releases if r)
    if len(known) > 1:
        mixed: bool | None = True
    elif None in releases:
        mixed = None
    else:
        mixed = False
    return mixed, known or None


def node_release(node: NodeView) -> str | None:
    """A node's OS release: from its own facts, else from the build Get-ClusterNode reports for it
    (a member that could not be reached)."""
    return (node.get("os") or {}).get("release") or release_of_build(_member_build(node.get("membership")))


def _member_build(member: ClusterMember | None) -> int | None:
    """The build Get-ClusterNode reports for a member (None: not listed)."""
    return member.get("build_number") if member is not None else None


def _volumes(cluster: ClusterFacts, nodes: dict[str | None, NodeView],
             absent: dict[str | None, ClusterMember]) -> list[ClusterVolume] | None:
    """Clustered volumes: each disk resource joined with the owner's volume and its possible owners."""
    resources = cluster.get("resources")
    if resources is None:
        return None
    no_dedup = bool(nodes) and all(n.get("dedup_installed") is False for n in nodes.values())
    out = []
    for res in resources:
        rtype = (res.get("resource_type") or "").lower()
        if rtype != "physical disk" and not res.get("is_csv"):
            continue
        owner_name = res.get("owner_node")
        owner = nodes.get(name_key(owner_name))
        local: VolumeFacts | None = None
        owner_volumes = owner.get("volumes") if owner is not None else None
        if owner_volumes is not None:
            local = next((v for v in owner_volumes if (v.get("cluster_resource") or "").lower() == res["name"].lower()), None)
        possible = res.get("possible_owners")
        possible_nodes = None
        if possible is not None:
            possible_nodes = [_owner_summary(nodes.get(name_key(name)), name, absent.get(name_key(name)))
                              for name in possible]
        facts: VolumeFacts | dict[str, Any] = local or {}
        dedup = facts.get("dedup")
        if dedup is None and no_dedup:
            # No node has the Data Deduplication feature: no volume can be deduplicated. Absent, not
            # unknown, so the dedup rules do not apply (Get-DedupVolume does not even exist there).
            dedup = {"enabled": False}
        out.append(ClusterVolume(
            name=res["name"],
            resource=res,
            owner_node=owner_name,
            owner=_owner_summary(owner, owner_name, absent.get(name_key(owner_name))) if owner_name else None,
            possible_owners=possible_nodes,
            csv=bool(res.get("is_csv")),
            path=facts.get("path"),
            label=facts.get("label"),
            file_system=facts.get("file_system"),
            file_system_type=facts.get("file_system_type"),
            file_system_type_code=facts.get("file_system_type_code"),
            underlying_file_system=facts.get("underlying_file_system"),
            size=facts.get("size"),
            free=facts.get("free"),
            health=facts.get("health"),
            health_code=facts.get("health_code"),
            short_names=facts.get("short_names"),
            dedup=dedup,
        ))
    return out


def _owner_summary(node: NodeView | None, name: str, member: ClusterMember | None = None) -> DiskOwner:
    """A node as an owner of a disk; a member that was not scanned is known only by the build
    Get-ClusterNode reports (`member`), which still says its release."""
    if node is None:
        build = _member_build(member)
        release = release_of_build(build)
        os_: OsFacts | None = {"build": build, "release": release} if release else None
        return {"name": name, "known": False, "reachable": None, "os": os_}
    return {"name": node["name"], "known": True, "reachable": node.get("reachable"), "os": node.get("os")}


def _shares(nodes: list[NodeView]) -> list[ShareView]:
    """Shares from every node, once per (scope, name), each joined with the volume it lives on."""
    seen: set[tuple[str, str]] = set()
    out = []
    for node in nodes:
        for share in node.get("shares") or []:
            key = ((share.get("scope_name") or node["name"]).lower(), share["name"].lower())
            if key in seen:
                continue
            seen.add(key)
            item: ShareView = {**share, "volume_facts": _volume_for(share, node.get("volumes"))}
            out.append(item)
    return out


def _volume_for(share: ShareFacts, volumes: list[VolumeFacts] | None) -> VolumeFacts | None:
    if not volumes:
        return None
    wanted = (share.get("volume") or "").lower()
    if wanted:
        for vol in volumes:
            if wanted in {(vol.get("path") or "").lower(), (vol.get("volume_id") or "").lower()}:
                return vol
    path = (share.get("path") or "").lower()
    best: VolumeFacts | None = None
    for vol in volumes:
        root = (vol.get("path") or "").lower().rstrip("\\")
        if root and (path == root or path.startswith(root + "\\")):
            if best is None or len(root) > len(best["path"]):
                best = vol
    return best
