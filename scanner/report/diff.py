"""What changed between two scans: the post-upgrade report.

Each side is a result document, a facts document, or both (a result with the facts it was evaluated
from). OS, functional level and ClusterUpgradeVersion come from either; registry traces, patches
and dedup volume owners need the facts; findings need the results. What a side cannot say is listed
under `unavailable`, never guessed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner import __version__
from scanner.compare import BUCKETS, Finding, compare_findings
from scanner.errors import InputError, Problem
from scanner.facts.model import ClusterVolume, FactsDoc, NodeFacts
from scanner.facts.view import build_view
from scanner.schemas import violations
from scanner.times import format_utc, parse_time, utc_now

DIFF_VERSION = "2"
TRACE_KEYS = ("os", "os_version", "functional_level", "operating_version_present", "mixed_mode")
RELEASE_ORDER = ("2012R2", "2016", "2019", "2022", "2025")
SCHEMA = "diff.schema.json"


@dataclass(frozen=True)
class Side:
    """One scan as given on the command line."""

    label: str  # "before" or "after"
    result: dict[str, Any] | None
    facts: FactsDoc | None
    files: dict[str, str]  # kind ("result", "facts") -> path
    digests: dict[str, str]  # kind -> SHA-256 of the file's bytes


def diff(before: Side, after: Side, *, provenance: dict[str, Any] | None = None,
         generated_at: str | None = None) -> dict[str, Any]:
    """The diff document (JSON-ready, keys stable). provenance: who makes the diff (host, OS user,
    redacted command line: scanner.provenance.run_provenance)."""
    unavailable: list[str] = []
    for side in (before, after):
        if side.facts is None:
            unavailable.append(f"{side.label}: no facts document, so registry traces, patches and dedup owners "
                               "are not compared")
        if side.result is None:
            unavailable.append(f"{side.label}: no result document, so findings are not compared")
    facts = (before.facts, after.facts) if before.facts is not None and after.facts is not None else None
    results = (before.result, after.result) if before.result is not None and after.result is not None else None
    sides = (_side_summary(before), _side_summary(after))
    return {
        "diff_version": DIFF_VERSION,
        "generated_at": generated_at or format_utc(utc_now()),
        "tool": {"name": "rollready", "version": __version__},
        "provenance": provenance,
        "warnings": _warnings(*sides),
        "before": sides[0],
        "after": sides[1],
        "cluster": _cluster(before, after),
        "nodes": _nodes(before, after),
        "registry_traces": _traces(*facts) if facts is not None else None,
        "patches": _patches(*facts) if facts is not None else None,
        "dedup_owner_moves": _dedup_moves(*facts) if facts is not None else None,
        "findings": _findings(*results) if results is not None else None,
        "unavailable": unavailable,
    }


def check_diff(doc: Any) -> dict[str, Any]:
    """Return doc if it matches schemas/diff.schema.json, else raise InputError naming the first violation.

    Consumers of `diff --format json` rely on the schema, so a document that breaks it is never written.
    """
    problems = violations(doc, SCHEMA)
    if not problems:
        return doc
    first = problems[0]
    more = f" (and {len(problems) - 1} more violations)" if len(problems) > 1 else ""
    raise InputError([Problem(f"not a valid diff document (schemas/{SCHEMA}): {first.message}{more}", pointer=first.pointer)])


def _side_summary(side: Side) -> dict[str, Any]:
    doc: Mapping[str, Any] = side.result or side.facts or {}
    facts: Mapping[str, Any] = side.facts or {}
    scan = (side.result or {}).get("scan") or facts.get("scan") or {}
    return {
        "files": side.files,
        "sha256": side.digests,
        "cluster": doc["cluster"]["name"],
        "phase": (side.result or {}).get("phase") or scan.get("phase"),
        "collected_at": scan.get("collected_at"),
        "verdict": (side.result or {}).get("verdict", {}).get("status"),
        "tool_version": ((side.result or {}).get("tool") or {}).get("version") or scan.get("tool_version"),
        "rule_pack": ({k: side.result["rule_pack"].get(k) for k in ("version", "sha256", "rules")}
                      if side.result is not None else None),
        "collection": ((side.result or {}).get("provenance") or {}).get("collection") or scan.get("provenance"),
    }


def _warnings(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What makes this comparison misleading, said before anything else is read."""
    out = []
    tb, ta = parse_time(before["collected_at"]), parse_time(after["collected_at"])
    if tb is not None and ta is not None and tb > ta:
        out.append(f"the scans are out of order: BEFORE was collected at {before['collected_at']}, after AFTER "
                   f"({after['collected_at']}); give the earlier scan first")
    if str(before["cluster"]).casefold() != str(after["cluster"]).casefold():
        out.append(f"the scans are of different clusters (BEFORE {before['cluster']}, AFTER {after['cluster']}): "
                   "a diff compares one cluster over time")
    if set(before["sha256"].values()) & set(after["sha256"].values()):
        out.append("BEFORE and AFTER are the same scan (a file with the same SHA-256 on both sides)")
    return out


def _change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after, "changed": before != after}


def _cluster(before: Side, after: Side) -> dict[str, Any]:
    def get(side: Side, key: str) -> Any:
        doc = side.facts or side.result
        assert doc is not None
        return doc["cluster"].get(key)

    return {key: _change(get(before, key), get(after, key)) for key in ("name", "functional_level", "upgrade_version")}


def _node_os(side: Side) -> dict[str, dict[str, Any]]:
    """Node name (lower case) -> OS summary, from the facts when given, else from the result."""
    out = {}
    if side.facts is not None:
        for n in side.facts["nodes"]:
            os_ = n.get("os") or {}
            out[n["name"].lower()] = {"name": n["name"], "reachable": n["reachable"], "caption": os_.get("caption"),
                                      "version": os_.get("full_version") or os_.get("version"),
                                      "build": os_.get("build"), "release": os_.get("release")}
    elif side.result is not None:
        for n in side.result["cluster"]["nodes"]:
            out[n["name"].lower()] = {"name": n["name"], "reachable": n["reachable"], "caption": n.get("os_caption"),
                                      "version": n.get("os_version"), "build": n.get("build"),
                                      "release": n.get("release")}
    return out


def _nodes(before: Side, after: Side) -> list[dict[str, Any]]:
    b, a = _node_os(before), _node_os(after)
    rows = []
    for key in sorted(set(b) | set(a)):
        nb, na = b.get(key), a.get(key)
        name = (na or nb or {})["name"]
        presence = "both" if nb and na else ("added" if na else "removed")
        known = changed = updated = False
        if nb and na and nb["reachable"] and na["reachable"]:
            known = True
            changed = bool((nb["build"], nb["release"]) != (na["build"], na["release"]))
            updated = bool(not changed and nb["version"] != na["version"])  # same release, new UBR
        rows.append({"name": name, "presence": presence, "before": nb, "after": na, "os_changed": changed,
                     "updated": updated, "compared": known})
    return rows


def _by_node(facts: FactsDoc) -> dict[str, NodeFacts]:
    return {n["name"].lower(): n for n in facts["nodes"]}


def _traces(before: FactsDoc, after: FactsDoc) -> list[dict[str, Any]]:
    """HKLM\\Cluster values that changed; `appeared` when absent or false before (informational only)."""
    b, a = _by_node(before), _by_node(after)
    rows = []
    for key in sorted(set(b) | set(a)):
        node_b, node_a = b.get(key), a.get(key)
        rb = node_b.get("cluster_registry") if node_b else None
        ra = node_a.get("cluster_registry") if node_a else None
        name = (node_a or node_b or {"name": key})["name"]  # key comes from one of them
        if ra is None:
            if rb is not None:
                rows.append({"node": name, "value": "*", "before": "collected", "after": "not collected",
                             "appeared": False})
            continue
        for value in TRACE_KEYS:
            vb = (rb or {}).get(value)
            va = ra.get(value)
            if vb != va:
                rows.append({"node": name, "value": value, "before": vb, "after": va,
                             "appeared": vb in (None, False) and va not in (None, False)})
    return rows


def _patches(before: FactsDoc, after: FactsDoc) -> list[dict[str, Any]]:
    b, a = _by_node(before), _by_node(after)
    rows: list[dict[str, Any]] = []
    for key in sorted(set(b) & set(a)):
        hb, ha = b[key].get("hotfixes"), a[key].get("hotfixes")
        if hb is None or ha is None:
            rows.append({"node": a[key]["name"], "added": None, "removed": None,
                         "note": "hotfixes not collected on one side"})
            continue
        ib = {h["id"].upper() for h in hb}
        ia = {h["id"].upper() for h in ha}
        if ib != ia:
            rows.append({"node": a[key]["name"], "added": sorted(ia - ib), "removed": sorted(ib - ia), "note": None})
    return rows


def _dedup_volumes(facts: FactsDoc) -> dict[str, ClusterVolume] | None:
    volumes = build_view(facts).volumes
    if volumes is None:
        return None
    return {v["name"].lower(): v for v in volumes if (dedup := v.get("dedup")) and dedup.get("enabled")}


def _release(volume: ClusterVolume | None) -> str | None:
    """The release of a volume's owner node."""
    owner = volume["owner"] if volume else None
    return ((owner["os"] if owner else None) or {}).get("release")


def _dedup_moves(before: FactsDoc, after: FactsDoc) -> list[dict[str, Any]] | None:
    """Deduplicated volumes whose owner changed; `to_older_os` marks the corrupting direction."""
    b, a = _dedup_volumes(before), _dedup_volumes(after)
    if b is None or a is None:
        return None
    rows = []
    for key in sorted(set(b) | set(a)):
        vb, va = b.get(key), a.get(key)
        ob, oa = vb["owner_node"] if vb else None, va["owner_node"] if va else None
        if vb and va and (ob or "").lower() == (oa or "").lower():
            continue
        rb, ra = _release(vb), _release(va)
        older = bool(rb and ra and RELEASE_ORDER.index(ra) < RELEASE_ORDER.index(rb))
        rows.append({"volume": (va or vb or {"name": key})["name"], "before_owner": ob, "after_owner": oa,
                     "before_release": rb, "after_release": ra, "to_older_os": older})
    return rows


def _brief(f: Finding | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {k: f.get(k) for k in ("rule_id", "title", "severity", "status", "subject", "message", "detail")}


def _findings(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The shared comparison (scanner/compare.py: one definition of open), as the diff document says it."""
    found = compare_findings(before["findings"], after["findings"])
    out: dict[str, Any] = {name: [{"rule_id": p.rule_id, "subject": p.subject, "before": _brief(p.before),
                                   "after": _brief(p.after)} for p in found.bucket(name)] for name in BUCKETS}
    out["counts"] = found.counts
    return out
