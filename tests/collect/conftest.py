"""A small lab cluster for the collection tests, with per-node faults."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from scanner.credentials import CredentialResolver
from scanner.inventory import Cluster, inventory_from_dict
from scanner.lab import PASSWORD_ENV, Lab, Scenario, parse_scenario
from tests.lab.conftest import scenario_text

LAB_PASSWORD = "lab-pass-7f3c9e1d"  # distinctive, so the secrets test can search for it

THREE = scenario_text("three", "three 2012 R2 nodes for collection tests", "COLLCLU", ["N1", "N2", "N3"],
                      "  - name: N1\n  - name: N2\n")


def scenario(faults: dict[str, Any] | None = None) -> Scenario:
    """THREE with faults (if any) on node N3."""
    text = THREE + "  - name: N3\n"
    if faults:
        text += "    faults: " + json.dumps(faults) + "\n"
    return parse_scenario(text, "three.yaml")


def resolver() -> CredentialResolver:
    return CredentialResolver(env={PASSWORD_ENV: LAB_PASSWORD})


def lab_cluster(lab: Lab, **transport: Any) -> Cluster:
    """The lab's inventory cluster, with transport settings overridden (short timeouts in tests)."""
    cluster = inventory_from_dict(lab.inventory(), "lab").select(None)
    nodes = tuple(replace(n, transport=replace(n.transport, **transport)) for n in cluster.nodes)
    return replace(cluster, nodes=nodes)


TIME_SCALE = 0.01  # a hung section's budget (e.g. 45 s) is held 0.45 s in the tests


def start_lab(sc: Scenario, **kwargs: Any) -> Lab:
    kwargs.setdefault("time_scale", TIME_SCALE)
    return Lab(sc, password=LAB_PASSWORD, **kwargs)


def lab_inventory_file(lab: Lab, tmp_path: Path, **transport: Any) -> Path:
    """The running lab's inventory as a file for the CLI, with short test timeouts (overridable).
    read_timeout is the gap allowed between two bytes of an answer: the lab answers in the test's own
    process, sharing its GIL with the scanner's threads, so under load a large node's answer is slow to
    come; 5 s (operation_timeout + 4 s) left too little room. It only bounds a broken run: a stalled
    node is ended by the node deadline (--node-timeout)."""
    inv = lab.inventory()
    settings = {"connect_timeout": 5, "read_timeout": 30, "operation_timeout": 1, "retries": 1, **transport}
    for cluster in inv["clusters"]:
        cluster["transport"].update(settings)
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv))
    return path
