"""Shared helpers for the lab tests: a small scenario and a plain pypsrp client (no rollready code)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from scanner.lab import NodeEndpoint, Scenario, parse_scenario

COLLECTOR = "# rollready-collector-version: 1\n$CollectorVersion = '1'\nWrite-Output '{}'\n"
PASSWORD = "rollready-lab"

SMALL = textwrap.dedent(
    """\
    name: small
    description: two nodes for protocol tests
    cluster:
      name: LABCLU
      functional_level: 8
      nodes:
        - {name: N1, state: Up}
        - {name: N2, state: Up}
    node_defaults:
      os: {caption: Microsoft Windows Server 2012 R2 Standard, version: 6.3.9600, build: 9600, ubr: 19000, release: 2012R2}
      hotfixes: [{id: KB5001382}]
    nodes:
      - name: N1
      - name: N2
        facts:
          os: {ubr: 20000}
    """
)


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
def scenario_file(tmp_path: Path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
