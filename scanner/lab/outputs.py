"""What the collector would print on a scenario node, and the facts document a scan would build.

`collector_run` simulates collector.ps1 on one node: its sections in the script's own order
(`scanner.collect.sections`, read from the script), the WMI probes first, each section's budget, the
sections skipped when a probe they need did not answer, and the faults of the scenario:

* a failed section (`section_errors`) is null with its error, as the collector reports it;
* a hung section (`hang_section`) costs its whole budget before it is abandoned ("timed out after
  N s"); the run's simulated time is returned so the lab really holds the answer that long
  (scaled by the lab's `time_scale`); once the collector's total budget is spent, the remaining
  sections are skipped;
* a broken root\\MSCluster also takes the cluster-disk half of `volume_resources` down: disks that
  are not CSVs lose their `cluster_resource` on that node; a broken root/cimv2 skips every CIM section;
  a missing FailoverClusters module (`missing_modules`) skips every cluster section.

`scenario_facts` assembles the outputs (with unreachable-node stubs for transport faults) through
scanner.facts.outputs, without a network.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scanner import __version__
from scanner.collect import COLLECTOR_VERSION
from scanner.collect.sections import CollectorParams, Section, default_params, resolve_section, sections
from scanner.facts.model import FactsDoc, ScanInput
from scanner.facts.outputs import facts_from_outputs
from scanner.lab.scenario import NodeSpec, Scenario
from scanner.lab.shapes import RELATIVE_DATE, cluster_view, shape_hotfixes
from scanner.times import format_utc, utc_now

PROBE_NAMESPACES = {"cimv2": "root/cimv2", "mscluster": "root/MSCluster", "virtualization": "root/virtualization/v2"}
RSAT_MESSAGE = ("the FailoverClusters PowerShell module is not installed: add the RSAT-Clustering-PowerShell feature "
                "(Failover Cluster Module for Windows PowerShell)")


@dataclass(frozen=True)
class CollectorRun:
    document: dict[str, Any]  # the collector_output
    runtime_s: float  # simulated seconds the collector spent on hung sections


def collector_output(scenario: Scenario, spec: NodeSpec, params: CollectorParams | None = None) -> dict[str, Any]:
    """The collector_output document for one node, with its section faults applied."""
    return collector_run(scenario, spec, params).document


def collector_run(scenario: Scenario, spec: NodeSpec, params: CollectorParams | None = None) -> CollectorRun:
    params = params or default_params()
    now = utc_now()
    node = resolve_dates(spec.facts, now)
    if isinstance(node.get("hotfixes"), list):
        node["hotfixes"] = shape_hotfixes(node["hotfixes"], spec.windows, now.date())
    node["collector_version"] = COLLECTOR_VERSION
    node.setdefault("collected_at", format_utc(now))
    node["errors"] = list(node.get("errors") or [])
    node["timings"] = dict(node.get("timings") or {})
    cluster: dict[str, Any] | None = {**cluster_view(resolve_dates(scenario.cluster, now), node), "collected_from": spec.name}
    assert cluster is not None
    cluster["errors"] = list(cluster.get("errors") or [])
    run = _Run(node, cluster, spec, params)
    run.execute()
    return CollectorRun({"collector_version": COLLECTOR_VERSION, "node": node, "cluster": run.cluster}, run.elapsed)


class _Run:
    """One simulated collector run over the section table."""

    def __init__(self, node: dict[str, Any], cluster: dict[str, Any], spec: NodeSpec, params: CollectorParams) -> None:
        self.node = node
        self.cluster: dict[str, Any] | None = cluster
        self.params = params
        self.elapsed = 0.0
        self.failed: set[str] = set()
        self.probes: dict[str, str | None] = {"cimv2": None, "mscluster": None}  # None: answered
        self.probes["failover_clusters"] = RSAT_MESSAGE if "FailoverClusters" in spec.faults.missing_modules else None
        self.faults: dict[str, str | None] = {}  # section -> message (None: hangs)
        for name, message in spec.faults.section_errors.items():
            self.faults[resolve_section(name).name] = message
        for name in spec.faults.hang_sections:
            self.faults[resolve_section(name).name] = None

    def execute(self) -> None:
        for section in sections():
            if section.target == "cluster" and self.cluster is None:
                continue
            unmet = next((self.probes[r] for r in section.requires if self.probes.get(r)), None)
            if unmet:
                self._fail(section, f"skipped: {unmet}", 0)
            elif self.elapsed >= self.params.total_budget_s:
                self._fail(section, f"skipped: the collector's total budget of {self.params.total_budget_s} s is spent", 0)
            elif section.name in self.faults:
                message = self.faults[section.name]
                if message is None:
                    budget = min(section.budget_s(self.params), self.params.total_budget_s - int(self.elapsed))
                    self.elapsed += budget
                    self._fail(section, f"timed out after {budget} s", budget * 1000)
                else:
                    self._fail(section, message, None)
        self._after_volume_sections()

    def _errors(self, section: Section) -> list[dict[str, Any]]:
        if section.target == "cluster" and self.cluster is not None:
            errors: list[dict[str, Any]] = self.cluster["errors"]
            return errors
        errors = self.node["errors"]
        return errors

    def _fail(self, section: Section, message: str, duration_ms: int | None) -> None:
        self.failed.add(section.name)
        if duration_ms:
            self.node["timings"][section.name] = duration_ms
        if section.target == "wmi":
            self._fail_probe(section, message, duration_ms)
            return
        self._errors(section).append({"section": section.name, "message": message, "duration_ms": duration_ms})
        if section.name == "cluster":
            self.cluster = None
        elif section.name == "modules":
            self.probes["failover_clusters"] = "the module list could not be read"
        elif section.target == "node":
            for key in section.keys:
                self.node[key] = None
        elif section.target == "cluster" and self.cluster is not None:
            for key in section.keys:
                self.cluster[key] = None

    def _fail_probe(self, section: Section, message: str, duration_ms: int | None) -> None:
        """A probe's failure is the fact; a probe that timed out too."""
        key = section.keys[0]
        wmi = self.node.get("wmi") or {}
        if key == "virtualization" and wmi.get("virtualization") is None:
            return  # no vmms on this node: the probe does not run
        namespace = PROBE_NAMESPACES[key]
        wmi[key] = {"ok": False, "error": message, "duration_ms": duration_ms}
        self.node["wmi"] = wmi
        shown = message if message.startswith("timed out") else f"{namespace}: {message}"
        self.node["errors"].append({"section": section.name, "message": shown, "duration_ms": duration_ms})
        if key in self.probes:
            self.probes[key] = f"{namespace} did not answer ({message})"

    def _after_volume_sections(self) -> None:
        """What the Work sections feed into `volumes` (C7, C9): each failure costs only its part."""
        resources_failed = "volume_resources" in self.failed
        disks_down = resources_failed or bool(self.probes["mscluster"])
        csvs_down = resources_failed or bool(self.probes["failover_clusters"])
        if not resources_failed:
            if self.probes["mscluster"]:
                self.node["errors"].append({"section": "volume_resources.disks",
                                            "message": f"skipped: {self.probes['mscluster']}", "duration_ms": None})
            if self.probes["failover_clusters"]:
                self.node["errors"].append({"section": "volume_resources.csvs", "message": RSAT_MESSAGE,
                                            "duration_ms": None})
        volumes = self.node.get("volumes")
        if not isinstance(volumes, list):
            return
        for volume in volumes:
            if (volume.get("csv") and csvs_down) or (not volume.get("csv") and disks_down):
                volume["cluster_resource"] = None
            if "volume_storage" in self.failed:
                for key in ("file_system_type", "file_system_type_code", "health", "health_code"):
                    volume[key] = None
                if volume.get("csv") and disks_down:
                    volume["underlying_file_system"] = None  # neither MSFT_Volume nor the cluster partition
            if "volume_dedup" in self.failed:
                volume["dedup"] = None


def resolve_dates(value: Any, now: datetime) -> Any:
    """A copy of value with every "@now" / "@now-Nd" string replaced by that UTC time."""
    if isinstance(value, dict):
        return {k: resolve_dates(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, now) for v in value]
    if isinstance(value, str) and (m := RELATIVE_DATE.match(value)):
        return format_utc(now - timedelta(days=int(m.group(1) or 0)))
    return copy.deepcopy(value)


def unreachable_stub(spec: NodeSpec, reason: str) -> dict[str, Any]:
    """The facts of a node the scan could not collect (contracts §2)."""
    return {"name": spec.name, "reachable": False, "errors": [{"section": spec.faults.failure_section, "message": reason}]}


def scenario_facts(scenario: Scenario, phase: str | None = None, target_os: str | None = None) -> FactsDoc:
    """The facts document scanning this scenario would give, built without the network."""
    outputs: list[dict[str, Any]] = []
    for spec in scenario.nodes:
        reason = spec.faults.transport_failure
        outputs.append(unreachable_stub(spec, reason) if reason else collector_output(scenario, spec))
    expected = scenario.expected
    scan: ScanInput = {
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

