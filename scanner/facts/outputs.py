"""Collector outputs into one facts document: each output's check, and the one cluster view kept.

Every node returns the whole cluster view; the document keeps the one from the reachable node with
the highest build (checked once per scan) and every node's CSV state rows.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from scanner.errors import InputError, Problem
from scanner.facts.coverage import cluster_conflicts, conflict_line
from scanner.facts.document import SCHEMA_VERSION, node_name_for, schema_problems
from scanner.facts.model import ClusterFacts, CsvState, FactsDoc, NodeFacts, ScanInput


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
                                node=node_name_for(doc, [], ref="collector_output")))
    return problems


def _json_type(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), type(value).__name__)


def is_collector_output(doc: Any) -> bool:
    return isinstance(doc, dict) and "collector_version" in doc


def facts_from_outputs(outputs: list[dict[str, Any]], scan: ScanInput, *,
                       handed_over: bool = False) -> FactsDoc:
    """Merge per-node collector outputs (or unreachable-node stubs) into one facts document.

    Each output has passed its own check (node_output_problems), its cluster view aside. The
    cluster-wide view comes from the reachable node with the highest OS build: it is the one
    Microsoft says to manage a mixed-mode cluster from, and it sees the newest properties.

    The document does not share values with `outputs`, unless the caller hands them over
    (handed_over: it will not change them afterwards): a scan's freshly decoded outputs then become
    the document's values as they are, and may be changed by this merge (copying 64 realistic nodes
    cost the scanner 1.3 ms of CPU per node).
    """
    own: Callable[[Any], Any] = (lambda value: value) if handed_over else copy.deepcopy
    nodes: list[NodeFacts] = []
    views: list[tuple[int, str, dict[str, Any]]] = []  # (build, node, view): views are not checked yet
    for out in outputs:
        if is_collector_output(out):
            node = own(out["node"])
            node.setdefault("collector_version", out["collector_version"])
            nodes.append(node)
            if out.get("cluster"):
                views.append((_build_of(node), node["name"], out["cluster"]))
        else:  # an unreachable node's stub, {name, reachable: false, errors} (contracts §2)
            nodes.append(cast(NodeFacts, own(out)))
    # views are not schema-checked yet (only the one kept will be): a name may be anything
    conflicts = cluster_conflicts(None, [(node_name, view.get("name")) for _, node_name, view in views])
    if conflicts:
        raise InputError([Problem(conflict_line(None, conflicts), file=scan.get("inventory") or None)])
    views.sort(key=lambda v: (v[0], len(v[2]) - _count(v[2].get("errors"))), reverse=True)
    by_name = {n["name"]: n for n in nodes}
    chosen = _first_valid_view(views, by_name)
    cluster: ClusterFacts
    if chosen is not None:
        cluster = cast(ClusterFacts, own(views[chosen][2]))  # it has just passed the cluster schema
        cluster["collected_from"] = views[chosen][1]
        # The other views lend only their CSV state rows: those are checked, not the whole view.
        _merge_csv_states(cluster, [(name, v) for i, (_, name, v) in enumerate(views)
                                    if i == chosen or (i > chosen and _csvs_checked(name, v, by_name))])
    else:
        cluster = {"name": scan.get("cluster_name") or "unknown", "collected_from": None,
                   "errors": [{"section": "cluster", "message": "no node returned a valid cluster view"
                               if views else "no node returned the cluster view"}]}
    meta = scan.copy()
    meta.pop("cluster_name", None)
    return {"schema_version": SCHEMA_VERSION, "scan": meta, "cluster": cluster, "nodes": nodes}


# Get-ClusterSharedVolumeState StateInfo, worst first: a CSV redirected on any node is redirected.
_CSV_STATE_RANK = (("FileSystemRedirected", 3), ("BlockRedirected", 2), ("Direct", 1))


def _csv_state_rank(state: str | None) -> int:
    if not state:
        return 0
    return next((rank for prefix, rank in _CSV_STATE_RANK if state.startswith(prefix)), 4)


def worst_csv_row(rows: list[CsvState]) -> CsvState:
    """The Get-ClusterSharedVolumeState row in the worst state (an unknown state counts as worst)."""
    return max(rows, key=lambda r: _csv_state_rank(r.get("state_info")))


def _merge_csv_states(cluster: ClusterFacts, views: list[tuple[str, dict[str, Any]]]) -> None:
    """Every node's CSV state rows in the chosen view (C5), and each CSV's state = its worst row.

    Each node is authoritative for its own row; rows a node reports for others fill the gaps. A view
    from an older collector (no `states`) carried only the collecting node's own row in `state_info`.
    """
    csvs = cluster.get("csvs")
    if not csvs:
        return
    rows: dict[str, dict[str, tuple[int, CsvState]]] = {}  # csv -> node -> (authority, row)
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
                    per_node[row["node"].lower()] = (authority, row.copy())
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


def _first_valid_view(views: list[tuple[int, str, dict[str, Any]]], nodes: dict[str, NodeFacts]) -> int | None:
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


def _csvs_checked(source: str, view: dict[str, Any], nodes: dict[str, NodeFacts]) -> bool:
    return _view_checked(source, {"name": "csvs", "csvs": view.get("csvs")}, view, nodes)


def _view_checked(source: str, part: dict[str, Any], view: dict[str, Any], nodes: dict[str, NodeFacts]) -> bool:
    """Whether `part` (of the view from `source`) passes the cluster schema; if not, a gap on that node."""
    problems = schema_problems(part, ref="cluster")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        nodes[source].setdefault("errors", []).append(
            {"section": "cluster", "message": f"cluster view {problems[0].pointer}: {problems[0].message}{more}"})
    return not problems


def _build_of(node: NodeFacts) -> int:
    os_ = node.get("os") or {}
    build = os_.get("build")
    return build if isinstance(build, int) else -1
