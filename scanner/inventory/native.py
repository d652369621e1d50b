"""rollready's own inventory format (`schemas/inventory.schema.json`, docs/contracts.md §4), given
as a file or as data, and the inventory behind `--node HOST` on the command line."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.errors import InputError, Problem, UsageError
from scanner.inventory.address import host_problem, split_host_port
from scanner.inventory.model import Cluster, CredentialRef, Inventory, NodeTarget, Transport, rebased
from scanner.schemas import Checker, validator


def inventory_from_dict(data: Mapping[str, Any], source: str) -> Inventory:
    """A rollready inventory given as data (e.g. the lab's `inventory()`)."""
    problems = [
        Problem(err.message, file=source, pointer="/" + "/".join(map(str, err.absolute_path)))
        for err in schema_validator().iter_errors(data)
    ]
    if problems:
        raise InputError(problems)
    return from_native(data, source, None)


def inventory_for_hosts(
    hosts: Iterable[str],
    *,
    transport: Transport,
    credentials: CredentialRef,
    cluster: str | None = None,
) -> Inventory:
    """The inventory behind `--node HOST [--node HOST ...]`; HOST may be HOST:PORT."""
    nodes: list[NodeTarget] = []
    for spec in hosts:
        host, port = _split_host_port(spec)
        if problem := host_problem(host):
            raise UsageError(f"node {spec!r}: {problem}")
        name = host if port is None else f"{host}:{port}"  # the collector reports the computer name
        if any(n.name == name for n in nodes):
            raise UsageError(f"node {spec} given twice")
        nodes.append(NodeTarget(name, host, transport.port_for(port), transport, credentials))
    if not nodes:
        raise UsageError("no node given")
    name = cluster or "adhoc"
    return Inventory((Cluster(name, tuple(nodes), named=cluster is not None),), "--node", (name,))


def _split_host_port(spec: str) -> tuple[str, int | None]:
    try:
        return split_host_port(spec)
    except ValueError:
        raise UsageError(f"node {spec!r}: expected HOST or HOST:PORT") from None


def schema_validator(ref: str | None = None) -> Checker:
    return validator("inventory.schema.json", ref)


def from_native(data: Mapping[str, Any], file: str, located: Any) -> Inventory:
    clusters = []
    problems = []
    seen_clusters: set[str] = set()
    for ci, raw in enumerate(data["clusters"]):
        transport = rebased(Transport(**raw.get("transport", {})), file)
        credentials = rebased(CredentialRef(**raw.get("credentials", {})), file)
        if raw["name"].lower() in seen_clusters:
            problems.append(_problem(located, file, ("clusters", ci, "name"), f"duplicate cluster {raw['name']!r}"))
        seen_clusters.add(raw["name"].lower())
        nodes = []
        seen: set[str] = set()
        for ni, node in enumerate(raw["nodes"]):
            if node["name"].lower() in seen:
                problems.append(_problem(located, file, ("clusters", ci, "nodes", ni, "name"), f"duplicate node {node['name']!r}"))
            seen.add(node["name"].lower())
            host = node.get("host", node["name"])
            if problem := host_problem(host):
                where = ("clusters", ci, "nodes", ni, "host" if "host" in node else "name")
                problems.append(_problem(located, file, where, problem))
            nodes.append(NodeTarget(node["name"], host, transport.port_for(node.get("port")), transport, credentials))
        clusters.append(Cluster(raw["name"], tuple(nodes)))
    if problems:
        raise InputError(problems)
    return Inventory(tuple(clusters), file)


def _problem(located: Any, file: str, path: tuple[Any, ...], message: str) -> Problem:
    if located is not None:
        return located.problem(path, message)
    return Problem(message, file=file, pointer="/" + "/".join(map(str, path)))
