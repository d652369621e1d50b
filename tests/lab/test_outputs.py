"""Collector outputs and facts documents built from scenarios, and the shipped scenarios' verdicts."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scanner import exitcodes, facts, paths
from scanner.cli import main
from scanner.lab import collector_output, load_scenario, scenario_facts
from tests.lab.conftest import small_scenario

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
    assert {(e["section"], e["message"]) for e in node["errors"]} == {("wmi", "Invalid namespace"), ("drivers", "Access denied")}


def test_hung_section_times_out():
    scenario = small_scenario({"hang_section": ["wmi", "hotfixes"]})
    node = collector_output(scenario, scenario.node("N2"))["node"]
    assert node["wmi"]["mscluster"]["ok"] is False and node["wmi"]["mscluster"]["error"] == "timed out"
    assert node["hotfixes"] is None
    assert all(e["duration_ms"] == 30000 for e in node["errors"])


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


def test_relative_dates_resolve_to_recent_timestamps():
    scenario = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
    node = collector_output(scenario, scenario.nodes[0])["node"]
    assert all(h["installed_on"][:2] == "20" and h["installed_on"].endswith("Z") for h in node["hotfixes"])
