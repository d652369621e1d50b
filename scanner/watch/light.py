"""The light scan: scanner/collect/watch.ps1 and its one JSON document, schema-checked."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

from scanner.collect.winrm import NodeFailure, collect_node
from scanner.credentials import CredentialResolver
from scanner.inventory import Cluster
from scanner.schemas import violations

WATCH_VERSION = "1"


def watch_script() -> str:
    return resources.files("scanner.collect").joinpath("watch.ps1").read_text(encoding="utf-8")


def parse_watch_output(objects: list[Any], errors: list[str], failed: bool) -> dict[str, Any]:
    """The one JSON string watch.ps1 prints, checked against schemas/watch.schema.json."""
    texts = [o for o in objects if isinstance(o, str)]
    if failed or len(texts) != 1 or len(objects) != 1:
        reason = errors[0] if errors else f"{len(objects)} output objects, expected one JSON string"
        raise NodeFailure("protocol", f"watch script did not run: {reason}")
    try:
        doc = json.loads(texts[0])
    except json.JSONDecodeError as exc:
        raise NodeFailure("protocol", f"watch output is not JSON: {exc.msg} at line {exc.lineno}") from None
    problems = violations(doc, "watch.schema.json", limit=1)
    if problems:
        raise NodeFailure("protocol", f"watch output {problems[0].pointer}: {problems[0].message}")
    return doc


def look(cluster: Cluster, resolver: CredentialResolver) -> tuple[dict[str, Any] | None, list[str]]:
    """The cluster view from the first node that answers (any member sees the whole cluster).

    Returns (view, problems): one line per node that did not answer, so a caller can say why
    nothing was seen at all.
    """
    problems: list[str] = []
    for node in cluster.nodes:
        credentials = resolver.resolve(node.credentials, auth=node.transport.auth, where=f"cluster {cluster.name}")
        result = collect_node(node, credentials, script=watch_script(), parse=parse_watch_output)
        if result.reachable:
            return result.output, problems
        error = result.error or {}
        problems.append(f"{node.name}: {error.get('section', '?')}: {error.get('message', 'no answer')}")
    return None, problems
