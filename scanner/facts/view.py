"""The cluster view rules read: the facts document plus its joins, built once per scan.

`FactsView` adds what rules read joined (volumes with their owner and possible owners, shares with
their volume, mixed mode, each node's cluster membership) without changing the document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from scanner.coverage import Coverage, NodeIdentity, coverage, name_key
from scanner.versions import release_of, release_of_build
from scanner.windates import iso_date


@dataclass(frozen=True)
class FactsView:
    """The facts document plus the joins rules read. Subjects per scope come from here."""

    doc: dict[str, Any]
    cluster: dict[str, Any]
    nodes: list[dict[str, Any]]
    volumes: list[dict[str, Any]] | None  # None: the cluster resources could not be collected
    shares: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    products: list[dict[str, Any]]
    missing: dict[str, list[str]]  # collection key -> nodes where it could not be collected
    coverage: Coverage  # the cluster's members against the nodes scanned

    @property
    def scan(self) -> dict[str, Any]:
        return self.doc["scan"]


def build_view(doc: dict[str, Any]) -> FactsView:
    today = _scan_date(doc)
    listed = doc["cluster"].get("nodes")
    members = None if listed is None else {k: m for m in reversed(listed) if (k := name_key(m["name"])) is not None}
    nodes = [_node_view(n, members, today) for n in doc["nodes"]]
    by_name: dict[str | None, dict[str, Any]] = {key: n for n in nodes for key in NodeIdentity.of(n).keys}  # name_key
    cluster = dict(doc["cluster"])
    cov = coverage(doc)
    # Members left out of the scan still count, by the build Get-ClusterNode reports for them: scanning
    # only the upgraded node of a mixed cluster must not look like a cluster on one release.
    absent = {m.name.casefold(): m for m in cov.members or () if m.status == "not_in_scan"}
    absent_members = [e for e in doc["cluster"].get("nodes") or () if e["name"].casefold() in absent]
    cluster.update(_mixed_mode(nodes, [release_of_build(e.get("build_number")) for e in absent_members]))
    cluster.update(_hyperv_summary(nodes))
    cluster["node_count"] = len(nodes)
    volumes = _volumes(cluster, by_name, {name_key(e["name"]): e for e in absent_members})
    cluster["volumes"] = volumes
    return FactsView(
        doc=doc,
        cluster=cluster,
        nodes=nodes,
        volumes=volumes,
        shares=_shares(nodes),
        drivers=_flatten(nodes, "drivers"),
        products=_flatten(nodes, "products"),
        missing={key: [n["name"] for n in nodes if n.get(key) is None] for key in ("shares", "drivers", "products")},
        coverage=cov,
    )


def _scan_date(doc: dict[str, Any]) -> date:
    """The day the facts were collected (a hotfix date after it is misread), else today."""
    stamp = doc.get("scan", {}).get("collected_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return datetime.now(timezone.utc).date()


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)")


def _hotfixes(hotfixes: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Each hotfix with `installed_on` as yyyy-MM-dd or None: free-form text is parsed (C8)."""
    out = []
    for fix in hotfixes:
        fix = dict(fix)
        value = fix.get("installed_on")
        raw = fix.get("installed_on_raw")
        if value is None or not _ISO_DAY.match(value):
            fix["installed_on"] = iso_date(value or raw, today=today) if (value or raw) else None
        out.append(fix)
    return out



def _hyperv_summary(nodes: list[dict[str, Any]]) -> dict[str, Any]:
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
        if hv.get("switches") is None:
            complete = False
        else:
            names[node["name"]] = sorted({s["name"] for s in hv["switches"]}, key=str.lower)
        if hv.get("vms") is None:
            complete = False
        else:
            versions += [vm["version"] for vm in hv["vms"] if vm.get("version")]
    distinct = {tuple(n.lower() for n in v) for v in names.values()}
    consistent: bool | None = len(distinct) <= 1
    if consistent and not complete:
        consistent = None
    lowest = min(versions, key=_version_key) if versions and complete else None
    return {"vswitch_names_by_node": names, "vswitch_names_consistent": consistent, "vm_versions_min": lowest}


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("."))


def _node_view(node: dict[str, Any], members: dict[str, dict[str, Any]] | None, today: date) -> dict[str, Any]:
    view = dict(node)
    if isinstance(node.get("hotfixes"), list):
        view["hotfixes"] = _hotfixes(node["hotfixes"], today)
    os_ = node.get("os")
    if isinstance(os_, dict):
        os_ = dict(os_)
        if os_.get("release") is None:
            os_["release"] = release_of(os_.get("version"))
        if os_.get("full_version") is None and os_.get("version") and isinstance(os_.get("ubr"), int):
            os_["full_version"] = f"{os_['version']}.{os_['ubr']}"
        view["os"] = os_
    for key in ("drivers", "products", "shares"):
        if isinstance(node.get(key), list):
            view[key] = [{**item, "node": node["name"]} for item in node[key]]
    if members is not None:  # None: the member list was not collected
        view["membership"] = next((members[k] for k in NodeIdentity.of(node).keys if k in members), None)
    return view


def _mixed_mode(nodes: list[dict[str, Any]], absent: list[str | None]) -> dict[str, Any]:
    """Mixed mode: members run different OS releases. A node whose own OS was not collected, and a
    member not scanned at all (`absent`), is judged by the build Get-ClusterNode reports for it; with
    neither, mixed mode is unknown unless the others already differ. (The HKLM\\Cluster MixedMode
    value is not used: it outlives the upgrade.)"""
    releases = {(n.get("os") or {}).get("release") or release_of_build((n.get("membership") or {}).get("build_number"))
                for n in nodes} | set(absent)
    known = sorted(r for r in releases if r)
    if len(known) > 1:
        mixed: bool | None = True
    elif None in releases:
        mixed = None
    else:
        mixed = False
    return {"mixed_mode": mixed, "os_releases": known or None}


def _volumes(cluster: dict[str, Any], nodes: dict[str | None, dict[str, Any]],
             absent: dict[str | None, dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Clustered volumes: each disk resource joined with the owner's volume and its possible owners."""
    resources = cluster.get("resources")
    if resources is None:
        return None
    out = []
    for res in resources:
        rtype = (res.get("resource_type") or "").lower()
        if rtype != "physical disk" and not res.get("is_csv"):
            continue
        owner = nodes.get(name_key(res.get("owner_node")))
        local = None
        if owner is not None and owner.get("volumes") is not None:
            local = next((v for v in owner["volumes"] if (v.get("cluster_resource") or "").lower() == res["name"].lower()), None)
        possible = res.get("possible_owners")
        possible_nodes = None
        if possible is not None:
            possible_nodes = [_owner_summary(nodes.get(name_key(name)), name, absent.get(name_key(name)))
                              for name in possible]
        vol: dict[str, Any] = {
            "name": res["name"],
            "resource": res,
            "owner_node": res.get("owner_node"),
            "owner": _owner_summary(owner, res.get("owner_node"), absent.get(name_key(res.get("owner_node"))))
            if res.get("owner_node") else None,
            "possible_owners": possible_nodes,
            "csv": bool(res.get("is_csv")),
        }
        keys = ("path", "label", "file_system", "file_system_type", "file_system_type_code", "underlying_file_system",
                "size", "free", "health", "health_code", "short_names", "dedup")
        for key in keys:
            vol[key] = local.get(key) if local else None
        if vol["dedup"] is None and nodes and all(n.get("dedup_installed") is False for n in nodes.values()):
            # No node has the Data Deduplication feature: no volume can be deduplicated. Absent, not
            # unknown, so the dedup rules do not apply (Get-DedupVolume does not even exist there).
            vol["dedup"] = {"enabled": False}
        out.append(vol)
    return out


def _owner_summary(node: dict[str, Any] | None, name: str | None, member: dict[str, Any] | None = None) -> dict[str, Any]:
    """A node as an owner of a disk; a member that was not scanned is known only by the build
    Get-ClusterNode reports (`member`), which still says its release."""
    if node is None:
        build = (member or {}).get("build_number")
        release = release_of_build(build)
        os_ = {"build": build, "release": release} if release else None
        return {"name": name, "known": False, "reachable": None, "os": os_}
    return {"name": node["name"], "known": True, "reachable": node.get("reachable"), "os": node.get("os")}


def _shares(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shares from every node, once per (scope, name), each joined with the volume it lives on."""
    seen: set[tuple[str, str]] = set()
    out = []
    for node in nodes:
        for share in node.get("shares") or []:
            key = ((share.get("scope_name") or node["name"]).lower(), share["name"].lower())
            if key in seen:
                continue
            seen.add(key)
            item = dict(share)
            item["volume_facts"] = _volume_for(share, node.get("volumes"))
            out.append(item)
    return out


def _volume_for(share: dict[str, Any], volumes: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not volumes:
        return None
    wanted = (share.get("volume") or "").lower()
    if wanted:
        for vol in volumes:
            if wanted in {(vol.get("path") or "").lower(), (vol.get("volume_id") or "").lower()}:
                return vol
    path = (share.get("path") or "").lower()
    best = None
    for vol in volumes:
        root = (vol.get("path") or "").lower().rstrip("\\")
        if root and (path == root or path.startswith(root + "\\")):
            if best is None or len(root) > len(best["path"]):
                best = vol
    return best


def _flatten(nodes: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [item for node in nodes for item in node.get(key) or []]
