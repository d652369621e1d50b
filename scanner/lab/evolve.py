"""A lab cluster that moves on: drain, upgrade, resume, possible owners, functional level.

A plan's commands carry their effect as data (`Command.action`); apply() plays one on a scenario
and returns the next scenario, so a test can replay a plan against the lab and scan every state in
between. Swapping `lab.scenario` while the lab runs serves the new state to the next scan.
The upgraded node takes its OS-level facts (os, updates, devices, Defender, filters, services) from a
donor node of the target release; its own volumes, shares and products stay.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

from scanner.lab.scenario import NodeSpec, Scenario

OS_KEYS = ("os", "hotfixes", "drivers", "defender", "filters", "services", "cluster_registry", "processor", "wmi")


class ReplayError(Exception):
    """A step the simulated cluster cannot take (a role with nowhere to go): the plan is wrong."""


def apply(scenario: Scenario, action: Sequence[str], donor: Scenario | None = None) -> Scenario:
    if not action:
        return scenario
    verb, *args = action
    cluster = copy.deepcopy(scenario.cluster)
    nodes = {spec.name.lower(): spec for spec in scenario.nodes}
    if verb == "drain":
        nodes = _with_state(_drain(cluster, nodes, args[0]), args[0], "Paused")
    elif verb == "resume":
        member = _member(cluster, args[0])
        member.update(state="Up", drain_status="NotInitiated")
        nodes = _with_state(nodes, args[0], "Up")
    elif verb == "upgrade":
        if donor is None:
            raise ReplayError("an upgrade needs a donor scenario of the target release")
        nodes[args[0].lower()] = _upgraded(nodes[args[0].lower()], donor.nodes[0])
        member = _member(cluster, args[0])
        version = nodes[args[0].lower()].facts["os"]["version"].split(".")
        member.update(major_version=int(version[0]), minor_version=int(version[1]), build_number=int(version[2]))
    elif verb == "owners":
        _resource(cluster, args[0])["possible_owners"] = list(args[1:])
    elif verb == "move":
        nodes = _move_group(cluster, nodes, args[0], args[1])
    elif verb == "functional_level":
        if donor is None:
            raise ReplayError("raising the functional level needs a donor scenario of the target release")
        cluster.update(functional_level=donor.cluster["functional_level"], upgrade_version=donor.cluster["upgrade_version"])
    elif verb == "storage_pool":
        if donor is None:
            raise ReplayError("upgrading the storage pool needs a donor scenario of the target release")
        pools = (donor.cluster.get("storage") or {}).get("pools") or [{}]
        for pool in (cluster.get("storage") or {}).get("pools") or []:
            pool.update(version=pools[0].get("version"), version_code=pools[0].get("version_code"))
    else:
        raise ReplayError(f"unknown action {verb!r}")
    ordered = tuple(nodes[spec.name.lower()] for spec in scenario.nodes)
    return dataclasses.replace(scenario, cluster=cluster, nodes=ordered)


def _member(cluster: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in cluster["nodes"] if n["name"].lower() == name.lower())


def _resource(cluster: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in cluster["resources"] if r["name"] == name)


def _with_state(nodes: dict[str, NodeSpec], name: str, state: str) -> dict[str, NodeSpec]:
    spec = nodes[name.lower()]
    facts = {**spec.facts, "cluster_node_state": state}
    return {**nodes, name.lower(): dataclasses.replace(spec, facts=facts)}


def _upgraded(spec: NodeSpec, donor: NodeSpec) -> NodeSpec:
    facts = copy.deepcopy(spec.facts)
    for key in OS_KEYS:
        if key in donor.facts:
            facts[key] = copy.deepcopy(donor.facts[key])
    return dataclasses.replace(spec, facts=facts, windows=donor.windows)


def _drain(cluster: dict[str, Any], nodes: dict[str, NodeSpec], node: str) -> dict[str, NodeSpec]:
    """Every group the node owns moves to another Up node that may own all of its resources."""
    member = _member(cluster, node)
    member.update(state="Paused", drain_status="Completed")
    up = [n["name"] for n in cluster["nodes"] if n["state"] == "Up"]
    for group in cluster["groups"]:
        if (group.get("owner_node") or "").lower() != node.lower():
            continue
        resources = [r for r in cluster["resources"] if r.get("owner_group") == group["name"]]
        target = next((n for n in up if all(n in (r.get("possible_owners") or up) for r in resources)), None)
        if target is None:
            raise ReplayError(f"draining {node}: group {group['name']} has no Up node among its possible owners")
        nodes = _move_group(cluster, nodes, group["name"], target)
    return nodes


def _move_group(cluster: dict[str, Any], nodes: dict[str, NodeSpec], group_name: str,
                node: str) -> dict[str, NodeSpec]:
    """The group, its resources and their volumes (a clustered disk is listed only by its owner) move."""
    group = next(g for g in cluster["groups"] if g["name"] == group_name)
    old = (group.get("owner_node") or "").lower()
    moved = set()
    for res in cluster["resources"]:
        if res.get("owner_group") == group_name:
            if node not in (res.get("possible_owners") or [node]):
                raise ReplayError(f"{res['name']} may not be owned by {node}")
            res["owner_node"] = node
            moved.add(res["name"])
    group["owner_node"] = node
    if old == node.lower() or old not in nodes:
        return nodes
    source, target = nodes[old], nodes[node.lower()]
    paths = {v.get("path") for v in source.facts.get("volumes") or [] if v.get("cluster_resource") in moved}
    if not paths:
        return nodes
    src, dst = dict(source.facts), dict(target.facts)
    for key, owned in (("volumes", lambda v: v.get("cluster_resource") in moved),  # only the owner lists them
                       ("shares", lambda s: s.get("volume") in paths or s.get("scope_name") == group_name)):
        going = [x for x in src.get(key) or [] if owned(x)]
        src[key] = [x for x in src.get(key) or [] if not owned(x)]
        dst[key] = [*(dst.get(key) or []), *copy.deepcopy(going)]
    return {**nodes, old: dataclasses.replace(source, facts=src), node.lower(): dataclasses.replace(target, facts=dst)}
