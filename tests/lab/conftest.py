"""Shared helpers for the lab tests: a small scenario and a plain pypsrp client (no rollready code)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from factory import WriteFile
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from scanner.lab import NodeEndpoint, Scenario, parse_scenario

COLLECTOR = "# rollready-collector-version: 1\n$CollectorVersion = '1'\nWrite-Output '{}'\n"
PASSWORD = "rollready-lab"

def scenario_text(name: str, description: str, cluster: str, members: Sequence[str], nodes: str) -> str:
    """A small lab scenario of 2012 R2 nodes as YAML text (tests edit it as text, and count its lines):
    `members` all Up in the cluster's member list, `nodes` the scenario's `nodes:` entries as written."""
    listed = "".join(f"    - {{name: {member}, state: Up}}\n" for member in members)
    return (f"name: {name}\ndescription: {description}\ncluster:\n  name: {cluster}\n  functional_level: 8\n"
            f"  nodes:\n{listed}node_defaults:\n"
            "  os: {caption: Microsoft Windows Server 2012 R2 Standard, version: 6.3.9600, build: 9600, ubr: 19000, "
            "release: 2012R2}\n  hotfixes: [{id: KB5001382}]\nnodes:\n" + nodes)


SMALL = scenario_text("small", "two nodes for protocol tests", "LABCLU", ["N1", "N2"],
                      "  - name: N1\n  - name: N2\n    facts:\n      os: {ubr: 20000}\n")


def small_scenario(faults: dict[str, Any] | None = None) -> Scenario:
    """SMALL with faults (if any) on node N2."""
    text = SMALL
    if faults:
        text += "    faults: " + json.dumps(faults) + "\n"
    return parse_scenario(text, "small.yaml")


def wsman_for(ep: NodeEndpoint, **kwargs: Any) -> WSMan:
    options: dict[str, Any] = {
        "port": ep.port,
        "ssl": ep.scheme == "https",
        "auth": "basic",
        "username": "LAB\\admin",
        "password": PASSWORD,
        "encryption": "never",
        "connection_timeout": 5,
        "read_timeout": 10,
    }
    options.update(kwargs)
    return WSMan(ep.host, **options)


def run_script(ep: NodeEndpoint, script: str = COLLECTOR, **kwargs: Any) -> PowerShell:
    """Open a pool, run one script, close: exactly what the scanner does per node."""
    with wsman_for(ep, **kwargs) as wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script(script)
        ps.invoke()
        ps.close()
        return ps


@pytest.fixture
def scenario_file(write_file: WriteFile):
    """scenario_file(text, name="scenario.yaml"): write_file for scenarios."""
    return lambda text, name="scenario.yaml": write_file(name, text)
