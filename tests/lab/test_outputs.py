"""Collector outputs and facts documents built from scenarios, and the shipped scenarios' verdicts."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from scanner import exitcodes, paths
from scanner.cli import main
from scanner.collect.sections import default_params
from scanner.facts import document as facts
from scanner.lab import collector_output, load_scenario, parse_scenario, scenario_facts
from scanner.lab.outputs import collector_run
from tests.lab.conftest import SMALL, small_scenario

SHIPPED = sorted(paths.SCENARIOS_DIR.glob("*.yaml"))
VERDICT_EXIT = {
    "GO": exitcodes.GO,
    "GO WITH WARNINGS": exitcodes.GO_WITH_WARNINGS,
    "NO-GO": exitcodes.NO_GO,
    "INCOMPLETE": exitcodes.INCOMPLETE,
}


def _collector_output_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/collector_output", "$defs": facts.schema()["$defs"]})


def test_the_seven_scenarios_are_shipped():
    assert {p.stem for p in SHIPPED} >= {
        "healthy-2012r2", "unsupported-products", "mixed-dedup-hazard", "wmi-broken",
        "post-fl8-traces", "clean-2016-fl9", "node-unreachable",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_node_output_validates(path: Path):
    scenario = load_scenario(path)
    validator = _collector_output_validator()
    for spec in scenario.nodes:
        validator.validate(collector_output(scenario, spec))
    facts.check_facts(scenario_facts(scenario))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_scenario_gives_its_expected_verdict(path: Path, tmp_path: Path):
    scenario = load_scenario(path)
    assert scenario.expected is not None
    doc = tmp_path / "facts.json"
    doc.write_text(json.dumps(scenario_facts(scenario)), encoding="utf-8")
    code = main(["evaluate", str(doc), "--format", "json", "--out", str(tmp_path / "result.json")])
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["verdict"]["status"] == scenario.expected.verdict, result["verdict"]["reason"]
    assert code == VERDICT_EXIT[scenario.expected.verdict]


def test_section_error_on_wmi_fails_the_probe_and_lists_the_error():
    scenario = small_scenario({"section_errors": {"wmi": "Invalid namespace", "drivers": "Access denied"}})
    node = collector_output(scenario, scenario.node("N2"))["node"]
    assert node["wmi"]["mscluster"] == {"ok": False, "error": "Invalid namespace", "duration_ms": None}
    assert node["drivers"] is None
    assert {(e["section"], e["message"]) for e in node["errors"]} == {
        ("wmi.mscluster", "root/MSCluster: Invalid namespace"), ("drivers", "Access denied"),
        ("volume_resources.disks", "skipped: root/MSCluster did not answer (Invalid namespace)")}


def test_hung_section_times_out_after_its_budget():
    scenario = small_scenario({"hang_section": ["wmi", "hotfixes"]})
    run = collector_run(scenario, scenario.node("N2"))
    node = run.document["node"]
    assert node["wmi"]["mscluster"] == {"ok": False, "error": "timed out after 45 s", "duration_ms": 45000}
    assert node["hotfixes"] is None
    assert {(e["section"], e["duration_ms"]) for e in node["errors"]} >= {("wmi.mscluster", 45000), ("hotfixes", 90000)}
    assert run.runtime_s == 45 + 90  # the probe's budget (WmiTimeoutSec + 15) and the default section budget


def test_budgets_follow_the_parameters_the_scanner_sends():
    scenario = small_scenario({"hang_section": "wmi.cimv2"})
    params = default_params().with_parameters({"WmiTimeoutSec": 5, "TotalBudgetSec": 100})
    run = collector_run(scenario, scenario.node("N2"), params)
    node = run.document["node"]
    assert node["wmi"]["cimv2"]["error"] == "timed out after 20 s" and run.runtime_s == 20
    # every CIM section is skipped with the probe's reason, the others still run
    skipped = {e["section"] for e in node["errors"] if e["message"].startswith("skipped: root/cimv2 did not answer")}
    assert {"os", "hotfixes", "drivers", "bios", "system", "services", "volumes", "shares"} == skipped
    assert node["os"] is None and node["hotfixes"] is None and "cluster_registry" not in skipped


def test_total_budget_spent_skips_the_remaining_sections():
    scenario = small_scenario({"hang_section": ["drivers", "filters", "products"]})
    params = default_params().with_parameters({"TotalBudgetSec": 200})
    run = collector_run(scenario, scenario.node("N2"), params)
    errors = {e["section"]: e["message"] for e in run.document["node"]["errors"]}
    assert errors["drivers"] == "timed out after 120 s" and errors["filters"] == "timed out after 80 s"
    assert errors["products"].startswith("skipped: the collector's total budget of 200 s is spent")
    assert run.runtime_s == 200


def test_broken_mscluster_takes_the_cluster_disk_mapping_down_with_it():
    """C9: on a node whose root\\MSCluster is broken, cluster disks lose their resource name; CSVs keep theirs."""
    volumes = [
        {"path": "E:", "file_system": "NTFS", "csv": False, "cluster_resource": "Cluster Disk 1"},
        {"path": "C:\\ClusterStorage\\Volume1", "file_system": "CSVFS", "file_system_type_code": 32769, "csv": True,
         "cluster_resource": "Cluster Virtual Disk (CSV1)"},
    ]
    text = SMALL.replace("  - name: N2\n    facts:\n", "  - name: N2\n    facts:\n      volumes: " + json.dumps(volumes) + "\n")
    text = text.replace("version: 6.3.9600, build: 9600, ubr: 19000, release: 2012R2", "version: 10.0.14393, build: 14393, ubr: 7428, release: '2016'")
    healthy = parse_scenario(text, "s.yaml")
    broken = parse_scenario(text + "    faults: {section_errors: {wmi.mscluster: Invalid namespace}}\n", "s.yaml")
    assert [v["cluster_resource"] for v in collector_output(healthy, healthy.node("N2"))["node"]["volumes"]] == [
        "Cluster Disk 1", "Cluster Virtual Disk (CSV1)"]
    node = collector_output(broken, broken.node("N2"))["node"]
    assert [v["cluster_resource"] for v in node["volumes"]] == [None, "Cluster Virtual Disk (CSV1)"]
    assert node["volumes"][1]["underlying_file_system"] == "ReFS"  # MSFT_Volume still answered


def test_missing_failoverclusters_module_names_the_feature():
    """C6: no RSAT-Clustering-PowerShell: every cluster section is skipped with that reason."""
    scenario = small_scenario({"missing_modules": ["FailoverClusters"]})
    out = collector_output(scenario, scenario.node("N2"))
    assert out["cluster"] is None and out["node"]["cluster_node_state"] is None
    messages = {e["section"]: e["message"] for e in out["node"]["errors"]}
    assert "RSAT-Clustering-PowerShell" in messages["cluster"] and "RSAT-Clustering-PowerShell" in messages["cluster_node_state"]
    _collector_output_validator().validate(out)


def test_cluster_section_error_gives_no_cluster_view():
    scenario = small_scenario({"section_errors": {"cluster": "The cluster service is not running"}})
    out = collector_output(scenario, scenario.node("N2"))
    assert out["cluster"] is None
    _collector_output_validator().validate(out)


def test_unreachable_node_becomes_a_stub_and_the_view_comes_from_a_reachable_node():
    doc = scenario_facts(small_scenario({"refuse": True}), phase="pre", target_os="2016")
    n2 = doc["nodes"][1]
    assert n2 == {"name": "N2", "reachable": False, "errors": [{"section": "connection", "message": "connection refused"}]}
    assert doc["cluster"]["collected_from"] == "N1"
    assert doc["scan"]["method"] == "lab" and doc["scan"]["phase"] == "pre" and doc["scan"]["target_os"] == "2016"
    facts.check_facts(doc)


def test_relative_dates_resolve_to_recent_dates_in_the_nodes_own_text():
    """InstalledOn is the node's free-form text (M/d/yyyy by default); installed_on the date read from it."""
    scenario = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
    node = collector_output(scenario, scenario.nodes[0])["node"]
    today = datetime.now(timezone.utc).date()
    for fix in node["hotfixes"]:
        day = date.fromisoformat(fix["installed_on"])
        assert 0 <= (today - day).days <= 400
        assert fix["installed_on_raw"] == f"{day.month}/{day.day}/{day.year}"


def test_hotfix_dates_follow_the_nodes_culture_and_bad_text_stays_unknown():
    text = SMALL + "    windows: {date_format: dd.MM.yyyy}\n"
    text = text.replace("hotfixes: [{id: KB5001382}]", "hotfixes: [{id: KB1, installed_on: '@now-3d'}, {id: KB2, installed_on_raw: 'n/v'}]")
    scenario = parse_scenario(text, "s.yaml")
    fixes = collector_output(scenario, scenario.node("N2"))["node"]["hotfixes"]
    day = datetime.now(timezone.utc).date() - timedelta(days=3)
    assert fixes[0] == {"id": "KB1", "installed_on": day.isoformat(), "installed_on_raw": f"{day.day:02d}.{day.month:02d}.{day.year}"}
    assert fixes[1] == {"id": "KB2", "installed_on": None, "installed_on_raw": "n/v"}
