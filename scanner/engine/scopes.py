"""What a rule is applied to: one explicit table from scope name to the subjects in the facts.

A collection that could not be gathered gives a subject marked `missing`, so its rules become
`unknown` findings instead of vanishing (an empty list and an uncollected list are different).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from scanner.facts.view import FactsView, Flattened


@dataclass(frozen=True)
class Subject:
    id: str
    node: str | None
    values: dict[str, Any] = field(default_factory=dict)  # names the rule reads, e.g. {"volume": {...}}
    missing: str | None = None  # why the subject's facts are not there


def _cluster(view: FactsView) -> list[Subject]:
    return [Subject(view.cluster.get("name") or "cluster", None, {})]


def _nodes(view: FactsView) -> list[Subject]:
    return [Subject(n["name"], n["name"], {"node": n}) for n in view.nodes]


def _volumes(view: FactsView) -> list[Subject]:
    if view.volumes is None:
        return [Subject("volumes", None, missing="the cluster's resources (disks) were not collected")]
    return [Subject(v["name"], v.get("owner_node"), {"volume": v}) for v in view.volumes]


def _per_node(key: Flattened, var: str, label: Callable[[dict[str, Any]], str]) -> Callable[[FactsView], list[Subject]]:
    def subjects(view: FactsView) -> list[Subject]:
        nodes = {n["name"]: n for n in view.nodes}
        items: list[dict[str, Any]] = getattr(view, key)
        out = [Subject(f"{it['node']}:{label(it)}", it["node"], {var: it, "node": nodes[it["node"]]}) for it in items]
        out += [Subject(f"{name}:{key}", name, {"node": nodes[name]}, missing=f"{key} were not collected on {name}")
                for name in view.missing[key]]
        return out

    return subjects


def _cluster_list(key: Literal["groups", "resources", "csvs"], var: str) -> Callable[[FactsView], list[Subject]]:
    def subjects(view: FactsView) -> list[Subject]:
        items = view.cluster.get(key)
        if items is None:
            return [Subject(key, None, missing=f"the cluster's {key} were not collected")]
        return [Subject(it["name"], it.get("owner_node"), {var: it}) for it in items]

    return subjects


SCOPES: dict[str, Callable[[FactsView], list[Subject]]] = {
    "cluster": _cluster,
    "node": _nodes,
    "volume": _volumes,
    "share": _per_node("shares", "share", lambda s: s["name"]),
    "driver": _per_node("drivers", "driver", lambda d: d.get("hardware_id") or d["device_name"]),
    "product": _per_node("products", "product", lambda p: p["name"]),
    "group": _cluster_list("groups", "group"),
    "resource": _cluster_list("resources", "resource"),
    "csv": _cluster_list("csvs", "csv"),
}
