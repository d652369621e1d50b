"""What the collector would print on a scenario node, and the facts document a scan would build.

`collector_output` is the document the lab returns over PSRP; `scenario_facts` assembles the same
outputs (with unreachable-node stubs for transport faults) through scanner.facts, without a network.
"""
from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import Any

from scanner import __version__
from scanner.facts import facts_from_outputs
from scanner.lab.scenario import NodeSpec, Scenario
from scanner.times import format_utc, utc_now

COLLECTOR_VERSION = "1"
HANG_TIMEOUT_MS = 30_000  # the collector's per-probe timeout a hung section runs into
RELATIVE_DATE = re.compile(r"^@now(?:-(\d+)d)?$")  # "@now", "@now-10d": dates that stay recent




def collector_output(scenario: Scenario, spec: NodeSpec) -> dict[str, Any]:
    """The collector_output document for one node, with its section faults applied."""
    now = utc_now()
    node = resolve_dates(spec.facts, now)
    node["collector_version"] = COLLECTOR_VERSION
    node.setdefault("collected_at", format_utc(now))
    cluster: dict[str, Any] | None = {**resolve_dates(scenario.cluster, now), "collected_from": spec.name}
    for section, message in spec.faults.section_errors.items():
        cluster = _fail_section(node, cluster, section, message, duration_ms=None)
    for section in spec.faults.hang_sections:
        cluster = _fail_section(node, cluster, section, "timed out", duration_ms=HANG_TIMEOUT_MS)
    return {"collector_version": COLLECTOR_VERSION, "node": node, "cluster": cluster}


def resolve_dates(value: Any, now: datetime) -> Any:
    """A copy of value with every "@now" / "@now-Nd" string replaced by that UTC time."""
    if isinstance(value, dict):
        return {k: resolve_dates(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, now) for v in value]
    if isinstance(value, str) and (m := RELATIVE_DATE.match(value)):
        return format_utc(now - timedelta(days=int(m.group(1) or 0)))
    return copy.deepcopy(value)


def _fail_section(
    node: dict[str, Any], cluster: dict[str, Any] | None, section: str, message: str, duration_ms: int | None
) -> dict[str, Any] | None:
    """A WMI probe fails as {ok: false, error}; any other section becomes null. Either way an error entry."""
    error_section = section.split(".")[0]
    if error_section == "wmi":
        probe = section.split(".")[1] if "." in section else "mscluster"
        wmi = node.get("wmi") or {}
        wmi[probe] = {"ok": False, "error": message, "duration_ms": duration_ms}
        node["wmi"] = wmi
    elif section == "cluster":
        cluster = None
    else:
        node[section] = None
    node["errors"].append({"section": error_section, "message": message, "duration_ms": duration_ms})
    return cluster


def unreachable_stub(spec: NodeSpec, reason: str) -> dict[str, Any]:
    """The facts of a node the scan could not collect (contracts §2)."""
    return {"name": spec.name, "reachable": False, "errors": [{"section": spec.faults.failure_section, "message": reason}]}


def scenario_facts(scenario: Scenario, phase: str | None = None, target_os: str | None = None) -> dict[str, Any]:
    """The facts document scanning this scenario would give, built without the network."""
    outputs: list[dict[str, Any]] = []
    for spec in scenario.nodes:
        reason = spec.faults.transport_failure
        outputs.append(unreachable_stub(spec, reason) if reason else collector_output(scenario, spec))
    expected = scenario.expected
    scan = {
        "tool_version": __version__,
        "collected_at": format_utc(utc_now()),
        "method": "lab",
        "phase": phase or (expected.phase if expected else None),
        "source_os": expected.source_os if expected else None,  # None: the engine takes the oldest node's
        "target_os": target_os or (expected.target_os if expected else None),
        "operator": None,
        "inventory": scenario.path,
        "partial": False,
        "cluster_name": scenario.cluster["name"],
    }
    return facts_from_outputs(outputs, scan)

