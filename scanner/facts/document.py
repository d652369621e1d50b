"""The facts document: read from a file, checked against schemas/facts.schema.json, and its gaps.

The document stays as collected (it is the evidence and is hashed): scanner/facts/outputs.py builds
it from collector outputs, scanner/facts/view.py adds the joins rules read without changing it.
"""
from __future__ import annotations

import codecs
import functools
import json
from pathlib import Path
from typing import Any, Literal, get_args

from scanner import paths
from scanner.errors import InputError, Problem
from scanner.facts.model import FactsDoc
from scanner.reading import read_input
from scanner.schemas import size_problems, violations, within_bounds_and_valid

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
    document past the size bounds gets those problems instead (the schema is not run on it). A valid
    document within the bounds is recognised in one native pass (a collected node's output, on every scan)."""
    if within_bounds_and_valid(doc, "facts.schema.json", ref=ref, max_string=MAX_FACT_STRING, max_items=MAX_FACT_ITEMS):
        return []
    node_of = functools.partial(node_name_for, doc, ref=ref)
    return (size_problems(doc, max_string=MAX_FACT_STRING, max_items=MAX_FACT_ITEMS, file=file, node_of=node_of)
            or violations(doc, "facts.schema.json", ref=ref, file=file, node_of=node_of))


def node_name_for(doc: Any, path: list[Any], *, ref: str | None) -> str | None:
    """The node a problem at `path` belongs to (a facts document's node, or a collector output's)."""
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
    return parse_json_bytes(read_input(path, MAX_FACTS_BYTES), str(path))


def read_json_file(path: str | Path) -> tuple[Any, bytes]:
    """The file's JSON and its bytes (for a digest), read once."""
    raw = read_input(path, MAX_FACTS_BYTES)
    return parse_json_bytes(raw, str(path)), raw


def parse_json_bytes(raw: bytes, file: str) -> Any:
    try:
        return json.loads(decode_text(raw, file))
    except json.JSONDecodeError as exc:
        raise InputError([Problem(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno)]) from None
    except RecursionError:
        raise InputError([Problem("JSON nested too deeply to read", file=file)]) from None


def check_facts(doc: Any, *, file: str | None = None) -> FactsDoc:
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


def load_facts(path: str | Path) -> FactsDoc:
    return check_facts(parse_json_file(path), file=str(path))


# Node sections every rule pack may read. Null means "could not be collected" (schema), so a null
# section is a gap in the evidence even when no rule of this pack reads it.
NodeSection = Literal["os", "hotfixes", "drivers", "bios", "system", "processor", "defender", "filters", "products",
                      "features", "services", "wmi", "cluster_node_state", "cluster_registry", "ntfs_disable_8dot3",
                      "odx_mode", "dedup_installed", "volumes", "shares"]
ClusterSection = Literal["functional_level", "nodes", "quorum", "groups", "resources", "csvs"]
# Sections newer collectors add: absent in fact files from older collectors (their rules are then
# unknown), a gap when present and null.
NodeSectionAdded = Literal["pending_reboot", "cluster_events", "hyperv", "lbfo_teams"]
ClusterSectionAdded = Literal["networks", "network_interfaces", "cau", "storage"]
NODE_SECTIONS: tuple[NodeSection, ...] = get_args(NodeSection)
CLUSTER_SECTIONS: tuple[ClusterSection, ...] = get_args(ClusterSection)
NODE_SECTIONS_ADDED: tuple[NodeSectionAdded, ...] = get_args(NodeSectionAdded)
CLUSTER_SECTIONS_ADDED: tuple[ClusterSectionAdded, ...] = get_args(ClusterSectionAdded)


def collection_gaps(doc: FactsDoc) -> list[str]:
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
            errors = node.get("errors")
            reason = errors[0]["message"] if errors else "not reachable"
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
