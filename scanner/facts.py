"""The facts document: loading and checking it, building it from node outputs, and the cluster view.

The collected document stays as collected (it is the evidence); `FactsView` adds the joins the rules
need (volumes with their owner and possible owners, shares with their volume, mixed mode) without
changing it.
"""
from __future__ import annotations

import codecs
import copy
import functools
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from scanner import paths
from scanner.coverage import Coverage, NodeIdentity, coverage, name_key
from scanner.errors import InputError, Problem
from scanner.schemas import size_problems, violations
from scanner.versions import release_of, release_of_build
from scanner.windates import iso_date

SCHEMA_VERSION = "1"
MAX_FACTS_BYTES = 256 * 1024 * 1024


def schema() -> dict[str, Any]:
    return json.loads((paths.SCHEMAS_DIR / "facts.schema.json").read_text(encoding="utf-8"))


# Bounds on what a server may send, generous for real clusters (hundreds of devices, thousands of
# hotfixes and resources; Windows paths reach 32767 characters): a hostile or broken node gets one
# clear error naming node and field, and no rule ever runs over megabytes of one name.
MAX_FACT_STRING = 32_768
MAX_FACT_ITEMS = 100_000


def schema_problems(doc: Any, *, file: str | None = None, ref: str | None = None) -> list[Problem]:
    """Every schema violation, with its JSON pointer and the node it belongs to when known; a
    document past the size bounds gets those problems instead (the schema is not run on it)."""
    node_of = functools.partial(_node_name_for, doc, ref=ref)
    return (size_problems(doc, max_string=MAX_FACT_STRING, max_items=MAX_FACT_ITEMS, file=file, node_of=node_of)
            or violations(doc, "facts.schema.json", ref=ref, file=file, node_of=node_of))


def node_output_problems(doc: Any) -> list[Problem]:
    """A collector output's schema violations, its cluster view only checked for being an object or null.

    Every node returns the whole cluster view, so checking each copy costs the square of the node
    count (at 64 nodes 90 % of the scanner's CPU); only the one view the facts keep is checked,
    once per scan, by facts_from_outputs.
    """
    if not isinstance(doc, dict):
        return schema_problems(doc, ref="collector_output")
    view = doc.get("cluster")
    problems = schema_problems({**doc, "cluster": None} if "cluster" in doc else doc, ref="collector_output")
    if view is not None and not isinstance(view, dict):
        problems.append(Problem(f"{_json_type(view)} is not an object or null", pointer="/cluster",
                                node=_node_name_for(doc, [], ref="collector_output")))
    return problems


def _json_type(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), type(value).__name__)


def _node_name_for(doc: Any, path: list[Any], *, ref: str | None) -> str | None:
    try:
        if ref is None and len(path) >= 2 and path[0] == "nodes":
            name = doc["nodes"][path[1]].get("name")
        elif ref == "collector_output":
            name = doc["node"].get("name")
        else:
            return None
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(raw: bytes, file: str) -> str:
    """Decode by byte-order mark: Windows PowerShell's `>` writes UTF-16, everything else UTF-8."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError([Problem(f"not valid {encoding.upper()} text (byte {exc.start})", file=file)]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"not UTF-8 or UTF-16 text (byte {exc.start})", file=file)]) from None


def parse_json_file(path: str | Path) -> Any:
    """Read JSON from a file; a syntax error names file:line:column."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FACTS_BYTES:
            raise InputError([Problem(f"file is {size} bytes, more than the {MAX_FACTS_BYTES} allowed", file=str(p))])
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot read: {exc.strerror or exc}", file=str(p))]) from None
    try:
        return json.loads(decode_text(raw, str(p)))
    except json.JSONDecodeError as exc:
        raise InputError([Problem(f"invalid JSON: {exc.msg}", file=str(p), line=exc.lineno, column=exc.colno)]) from None
    except RecursionError:
        raise InputError([Problem("JSON nested too deeply to read", file=str(p))]) from None


def check_facts(doc: Any, *, file: str | None = None) -> dict[str, Any]:
    """Validate a facts document (every violation reported) plus what a schema cannot say."""
    problems = schema_problems(doc, file=file)
    if not problems:
        seen: set[str] = set()
        for i, node in enumerate(doc["nodes"]):
            key = node["name"].lower()
            if key in seen:
                problems.append(Problem(f"duplicate node name {node['name']!r}", file=file, pointer=f"/nodes/{i}/name"))
            seen.add(key)
    if problems:
        raise InputError(problems)
    return doc


def load_facts(path: str | Path) -> dict[str, Any]:
    return check_facts(parse_json_file(path), file=str(path))


def is_collector_output(doc: Any) -> bool:
    return isinstance(doc, dict) and "collector_version" in doc


def facts_from_outputs(outputs: list[dict[str, Any]], scan: dict[str, Any]) -> dict[str, Any]:
    """Merge per-node collector outputs (or unreachable-node stubs) into one facts document.

    The cluster-wide view comes from the reachable node with the highest OS build: it is the one
    Microsoft says to manage a mixed-mode cluster from, and it sees the newest properties.
    """
    nodes = []
    views = []
    for out in outputs:
        if is_collector_output(out):
            node = copy.deepcopy(out["node"])
            node.setdefault("collector_version", out["collector_version"])
            nodes.append(node)
            if out.get("cluster"):
                views.append((_build_of(node), node["name"], out["cluster"]))
        else:
            nodes.append(copy.deepcopy(out))
    clusters: dict[str, str] = {}  # cluster name key -> the first node reporting it
    for _, node_name, view in views:
        name = view.get("name")  # views are not schema-checked yet: only the one kept will be
        key = name_key(name) if isinstance(name, str) else None
        if key is not None:
            clusters.setdefault(key, f"{node_name} reports {view.get('name')}")
    if len(clusters) > 1:
        seen = ", ".join(clusters.values())
        raise InputError([Problem(f"the nodes belong to different clusters ({seen}); scan or evaluate one cluster "
                                  "at a time", file=scan.get("inventory") or None)])
    views.sort(key=lambda v: (v[0], len(v[2]) - _count(v[2].get("errors"))), reverse=True)
    by_name = {n["name"]: n for n in nodes}
    chosen = _first_valid_view(views, by_name)
    if chosen is not None:
        cluster = copy.deepcopy(views[chosen][2])
        cluster["collected_from"] = views[chosen][1]
        # The other views lend only their CSV state rows: those are checked, not the whole view.
        _merge_csv_states(cluster, [(name, v) for i, (_, name, v) in enumerate(views)
                                    if i == chosen or (i > chosen and _csvs_checked(name, v, by_name))])
    else:
        cluster = {"name": scan.get("cluster_name") or "unknown", "collected_from": None,
                   "errors": [{"section": "cluster", "message": "no node returned a valid cluster view"
                               if views else "no node returned the cluster view"}]}
    meta = {k: v for k, v in scan.items() if k != "cluster_name"}
    return {"schema_version": SCHEMA_VERSION, "scan": meta, "cluster": cluster, "nodes": nodes}


# Get-ClusterSharedVolumeState StateInfo, worst first: a CSV redirected on any node is redirected.
_CSV_STATE_RANK = (("FileSystemRedirected", 3), ("BlockRedirected", 2), ("Direct", 1))


def _csv_state_rank(state: str | None) -> int:
    if not state:
        return 0
    return next((rank for prefix, rank in _CSV_STATE_RANK if state.startswith(prefix)), 4)


def worst_csv_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The Get-ClusterSharedVolumeState row in the worst state (an unknown state counts as worst)."""
    return max(rows, key=lambda r: _csv_state_rank(r.get("state_info")))


def _merge_csv_states(cluster: dict[str, Any], views: list[tuple[str, dict[str, Any]]]) -> None:
    """Every node's CSV state rows in the chosen view (C5), and each CSV's state = its worst row.

    Each node is authoritative for its own row; rows a node reports for others fill the gaps. A view
    from an older collector (no `states`) carried only the collecting node's own row in `state_info`.
    """
    csvs = cluster.get("csvs")
    if not csvs:
        return
    rows: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}  # csv -> node -> (authority, row)
    for source, view in views:
        for csv in view.get("csvs") or []:
            per_node = rows.setdefault(csv["name"].lower(), {})
            states = csv.get("states")
            if states is None and csv.get("state_info") is not None:
                states = [{"node": source, "state_info": csv.get("state_info"),
                           "redirected_reason": csv.get("redirected_reason"),
                           "block_redirected_reason": csv.get("block_redirected_reason")}]
            for row in states or []:
                authority = 1 if row["node"].lower() == source.lower() else 0
                held = per_node.get(row["node"].lower())
                if held is None or authority > held[0]:
                    per_node[row["node"].lower()] = (authority, dict(row))
    for csv in csvs:
        merged = [row for _, row in sorted(rows.get(csv["name"].lower(), {}).values(), key=lambda r: r[1]["node"].lower())]
        if not merged:
            continue
        csv["states"] = merged
        worst = worst_csv_row(merged)
        csv["state_info"] = worst.get("state_info")
        csv["redirected_reason"] = worst.get("redirected_reason")
        csv["block_redirected_reason"] = worst.get("block_redirected_reason")


def _count(items: Any) -> int:
    return len(items) if isinstance(items, list) else 0


def _first_valid_view(views: list[tuple[int, str, dict[str, Any]]], nodes: dict[str, dict[str, Any]]) -> int | None:
    """The position of the first view (in preference order) that passes the schema.

    Only the view kept is checked whole, normally once per scan (each node returns the whole
    cluster view: checking every copy cost the square of the node count). A view that fails is a
    gap on the node that sent it (its own facts stay: they passed their own check), and the next
    view is tried.
    """
    for i, (_, source, view) in enumerate(views):
        if _view_checked(source, view, view, nodes):
            return i
    return None


def _csvs_checked(source: str, view: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> bool:
    return _view_checked(source, {"name": "csvs", "csvs": view.get("csvs")}, view, nodes)


def _view_checked(source: str, part: dict[str, Any], view: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> bool:
    """Whether `part` (of the view from `source`) passes the cluster schema; if not, a gap on that node."""
    problems = schema_problems(part, ref="cluster")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        nodes[source].setdefault("errors", []).append(
            {"section": "cluster", "message": f"cluster view {problems[0].pointer}: {problems[0].message}{more}"})
    return not problems


def _build_of(node: dict[str, Any]) -> int:
    os_ = node.get("os") or {}
    build = os_.get("build")
    return build if isinstance(build, int) else -1


# Node sections every rule pack may read. Null means "could not be collected" (schema), so a null
# section is a gap in the evidence even when no rule of this pack reads it.
NODE_SECTIONS = ("os", "hotfixes", "drivers", "bios", "system", "processor", "defender", "filters", "products",
                 "features", "services", "wmi", "cluster_node_state", "cluster_registry", "ntfs_disable_8dot3",
                 "odx_mode", "dedup_installed", "volumes", "shares")
CLUSTER_SECTIONS = ("functional_level", "nodes", "quorum", "groups", "resources", "csvs")
# Sections newer collectors add: absent in fact files from older collectors (their rules are then
# unknown), a gap when present and null.
NODE_SECTIONS_ADDED = ("pending_reboot", "cluster_events", "hyperv", "lbfo_teams")
CLUSTER_SECTIONS_ADDED = ("networks", "network_interfaces", "cau", "storage")


def collection_gaps(doc: dict[str, Any]) -> list[str]:
    """What the scan could not collect, one line each. Any gap keeps the verdict from GO."""
    gaps = []
    if doc["scan"].get("partial"):
        gaps.append("the scan was interrupted before every node was collected")
    if not doc["nodes"]:
        gaps.append("the facts hold no node")
    cluster = doc["cluster"]
    for err in cluster.get("errors") or []:
        where = "cluster" if err["section"] == "cluster" else f"cluster {err['section']}"  # not "cluster cluster"
        gaps.append(f"{where}: {err['message']}")
    gaps += [f"cluster {key} not collected" for key in CLUSTER_SECTIONS
             if cluster.get(key) is None and not any(e["section"] == key for e in cluster.get("errors") or [])]
    gaps += [f"cluster {key} not collected" for key in CLUSTER_SECTIONS_ADDED
             if key in cluster and cluster[key] is None
             and not any(e["section"] == f"cluster.{key}" for e in cluster.get("errors") or [])]
    for node in doc["nodes"]:
        name = node["name"]
        if not node.get("reachable"):
            reason = (node.get("errors") or [{"message": "not reachable"}])[0]["message"]
            gaps.append(f"{name}: {reason}")
            continue
        reported = set()
        for err in node.get("errors") or []:
            reported.add(err["section"])
            gaps.append(f"{name} {err['section']}: {err['message']}")
        gaps += [f"{name} {key} not collected" for key in NODE_SECTIONS if node.get(key) is None and key not in reported]
        gaps += [f"{name} {key} not collected" for key in NODE_SECTIONS_ADDED
                 if key in node and node[key] is None and key not in reported]
    return [" ".join(g.split())[:300] for g in gaps]


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
