"""Issue #10: the verdict never says more than the scan saw. Scope, observed phase, absent vs unknown,
null sections, impossible and contradictory facts, each through `rollready evaluate` as a user runs it."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner import exitcodes, paths
from scanner.cli import main
from scanner.engine.phase import functional_levels, observed_phase
from scanner.facts.view import build_view
from scanner.report.machine import to_junit
from scanner.rulefiles import load_catalogs, load_rules

EX = paths.EXAMPLES_DIR


def example(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EX / name).read_text())
    return doc


def evaluate(tmp_path: Path, doc: dict[str, Any] | Path, *args: str) -> tuple[int, dict[str, Any]]:
    facts = doc if isinstance(doc, Path) else tmp_path / "facts.json"
    if not isinstance(doc, Path):
        facts.write_text(json.dumps(doc))
    out = tmp_path / "result.json"
    code = main(["evaluate", str(facts), "--format", "json", "--out", str(out), *args])
    return code, json.loads(out.read_text())


# ------------------------------------------------------------------ 2. scope

@pytest.mark.parametrize("filters", [["--skip-tags", "dedup,backup"], ["--tags", "health"]])
def test_a_filtered_run_is_never_a_plain_go_and_declares_its_scope(tmp_path: Path, filters: list[str],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: `--skip-tags dedup,backup` turned the mixed example's NO-GO into a clean GO."""
    code, result = evaluate(tmp_path, EX / "mixed-dedup-hazard.json", "--phase", "mixed", *filters)
    assert code == exitcodes.GO_WITH_WARNINGS and result["verdict"]["status"] == "GO WITH WARNINGS"
    scope = result["scope"]
    assert scope["narrowed"] and scope["rules_selected"] < scope["rules_total"] and scope["left_out"]
    assert scope["pack_sha256"] == result["rule_pack"]["sha256"] != scope["selected_sha256"]
    assert "narrowed" in result["verdict"]["reason"]
    assert not {f["rule_id"] for f in result["findings"]} & set(scope["left_out"])  # left out: no finding
    main(["evaluate", str(EX / "mixed-dedup-hazard.json"), "--phase", "mixed", *filters])
    text = " ".join(capsys.readouterr().out.split())
    assert "scope: narrowed rule set" in text and scope["pack_sha256"][:12] in text
    assert scope["selected_sha256"][:12] in text
    props = {p.get("name"): p.get("value") for p in ET.fromstring(to_junit(result)).iter("property")}
    assert props["verdict"] == "GO WITH WARNINGS" and props["scope_narrowed"] == "yes"
    assert props["selected_rules_sha256"] == scope["selected_sha256"]


def test_the_selected_digest_changes_with_the_selection_not_with_nothing(tmp_path: Path) -> None:
    _, full = evaluate(tmp_path, EX / "pre-healthy-2012r2.json", "--phase", "pre")
    _, health = evaluate(tmp_path, EX / "pre-healthy-2012r2.json", "--phase", "pre", "--tags", "health")
    _, again = evaluate(tmp_path, EX / "pre-healthy-2012r2.json", "--phase", "pre", "--tags", "health")
    assert not full["scope"]["narrowed"] and full["verdict"]["status"] == "GO"
    assert health["scope"]["selected_sha256"] == again["scope"]["selected_sha256"] != full["scope"]["selected_sha256"]


def test_waivers_in_force_are_part_of_the_scope(tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [
        {"id": "W-1", "rule": "DDP-003", "subject": "Cluster Disk 1", "justification": "NODE2 and NODE3 go tonight",
         "approved_by": "CAB", "expires": "2099-01-01"}]}))
    code, result = evaluate(tmp_path, EX / "mixed-dedup-hazard.json", "--waivers", str(waivers))
    assert code != exitcodes.NO_GO or result["verdict"]["reason"].split()[0] != "DDP-003"
    [waiver] = result["scope"]["waivers"]
    assert waiver["id"] == "W-1" and waiver["rule"] == "DDP-003" and waiver["findings"] == 1


# ------------------------------------------------------------------ 3. observed phase

def test_declared_pre_on_a_mixed_cluster_still_runs_the_mixed_rules(tmp_path: Path) -> None:
    """The issue's command: `evaluate examples/mixed-dedup-hazard.json --phase pre --target-os 2016`."""
    code, result = evaluate(tmp_path, EX / "mixed-dedup-hazard.json", "--phase", "pre", "--target-os", "2016")
    assert code == exitcodes.NO_GO
    assert (result["phase"], result["observed_phase"], result["declared_phase"]) == ("mixed", "mixed", "pre")
    by_rule = {f["rule_id"]: f for f in result["findings"]}
    assert by_rule["DDP-003"]["status"] == "fail"
    assert by_rule["PHS-001"]["status"] == "fail" and "declared as phase pre" in by_rule["PHS-001"]["message"]
    html = tmp_path / "r.html"
    main(["evaluate", str(EX / "mixed-dedup-hazard.json"), "--phase", "pre", "--html", str(html)])
    assert "declared as phase pre, but the facts show phase mixed" in html.read_text()


@pytest.mark.parametrize("example_name,target,observed", [
    ("pre-healthy-2012r2.json", "2016", "pre"),
    ("mixed-dedup-hazard.json", "2016", "mixed"),
    ("post-fl8-traces.json", "2016", "post"),
    ("post-fl8-traces.json", None, "post"),  # all on 2016 and the level still 8: upgraded, level not raised
    ("pre-healthy-2012r2.json", None, None),  # one release at its own level: pre or post needs the target
])
def test_observed_phase(example_name: str, target: str | None, observed: str | None) -> None:
    view = build_view(example(example_name))
    assert observed_phase(view, target, functional_levels(load_catalogs([]))).observed == observed


def test_without_a_declared_phase_the_facts_decide(tmp_path: Path) -> None:
    doc = example("mixed-dedup-hazard.json")
    doc["scan"]["phase"] = None
    code, result = evaluate(tmp_path, doc, "--target-os", "2016")
    assert code == exitcodes.NO_GO and result["phase"] == "mixed" and result["declared_phase"] is None
    assert next(f for f in result["findings"] if f["rule_id"] == "PHS-001")["status"] == "not_applicable"


def test_no_phase_anywhere_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = example("pre-healthy-2012r2.json")
    doc["scan"]["phase"] = None
    doc["scan"]["target_os"] = None
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(doc))
    assert main(["evaluate", str(facts)]) == exitcodes.DATAERR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "do not show the upgrade phase" in err and "Traceback" not in err


# ------------------------------------------------------------------ 4. severity

@pytest.mark.parametrize("change,rule", [
    (lambda d: d["cluster"]["groups"][-1].update(state="Failed"), "CLU-003"),  # a Failed file-server role
    (lambda d: d["cluster"]["nodes"][1].update(drain_status="Failed"), "CLU-002"),
])
def test_a_high_failure_blocks(tmp_path: Path, change: Any, rule: str) -> None:
    doc = example("pre-healthy-2012r2.json")
    change(doc)
    code, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    assert code == exitcodes.NO_GO and result["verdict"]["reason"].startswith(rule)


def test_info_findings_are_info_never_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = evaluate(tmp_path, EX / "post-fl8-traces.json", "--phase", "post")
    info = [f for f in result["findings"] if f["severity"] == "info" and f["status"] not in ("pass", "not_applicable")]
    assert info and all(f["status"] == "info" for f in info)
    main(["evaluate", str(EX / "post-fl8-traces.json"), "--phase", "post"])
    assert "Information (evidence only" in capsys.readouterr().out


def test_every_shipped_rule_says_why_it_has_its_severity() -> None:
    missing = [r.id for r in load_rules().rules if len(r.severity_reason) < 20]
    assert not missing, f"rules without severity_reason: {missing}"


# ------------------------------------------------------------------ 6. absent, unknown, impossible

def test_no_dedup_feature_anywhere_makes_the_dedup_rules_not_applicable(tmp_path: Path) -> None:
    doc = example("pre-healthy-2012r2.json")
    for node in doc["nodes"]:
        node["dedup_installed"] = False
        for vol in node.get("volumes") or []:
            vol["dedup"] = None  # Get-DedupVolume does not exist without the feature
    code, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    dedup = [f for f in result["findings"] if f["area"] == "dedup"]
    assert dedup and {f["status"] for f in dedup} == {"not_applicable"}
    assert code == exitcodes.GO


def test_no_witness_fails_the_witness_rule(tmp_path: Path) -> None:
    doc = example("pre-healthy-2012r2.json")
    doc["cluster"]["quorum"] = {"type": "NodeMajority", "raw_type": "NodeMajority", "resource": None,
                                "resource_state": None}
    _, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    assert next(f for f in result["findings"] if f["rule_id"] == "CLU-005")["status"] == "fail"


@pytest.mark.parametrize("change,named", [
    (lambda d: d["nodes"][0].update(cluster_node_state=None), "NODE1 cluster_node_state not collected"),
    (lambda d: d["nodes"][1]["hotfixes"][0].update(installed_on="9999-12-31"),
     "NODE2 hotfixes[KB5044343].installed_on = 9999-12-31 is after the scan"),
])
def test_null_sections_and_future_dates_block_go_naming_the_fact(tmp_path: Path, change: Any, named: str) -> None:
    doc = example("pre-healthy-2012r2.json")
    change(doc)
    code, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    assert code == exitcodes.INCOMPLETE and named in result["verdict"]["reason"]
    assert any(named in p for p in result["collection_problems"])


def test_a_future_hotfix_is_never_recent(tmp_path: Path) -> None:
    doc = example("pre-healthy-2012r2.json")
    for node in doc["nodes"]:
        node["hotfixes"] = [{"id": "KB5044343", "description": "Security Update", "installed_on": "9999-12-31"}]
    _, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    pat = [f for f in result["findings"] if f["rule_id"] == "PAT-001"]
    assert pat and all(f["status"] == "unknown" for f in pat)


def test_contradictory_facts_are_named_as_such(tmp_path: Path) -> None:
    """Functional level 9 with Windows Server 2012 R2 members cannot be: say so, do not blame the parameters."""
    doc = example("pre-healthy-2012r2.json")
    doc["cluster"]["functional_level"] = 9
    code, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    assert code in (exitcodes.NO_GO, exitcodes.INCOMPLETE)
    line = "contradictory facts: cluster functional level 9 is above the 8 that Windows Server 2012R2 supports"
    assert any(p.startswith(line) for p in result["collection_problems"])
    assert line in result["verdict"]["reason"]


def test_a_failed_non_essential_section_wipes_out_nothing_else(tmp_path: Path) -> None:
    """NODE1's driver query failed: its driver rules are unknown and the verdict is not a GO, but every
    unrelated fact still decides its rule."""
    doc = example("pre-healthy-2012r2.json")
    doc["nodes"][0]["drivers"] = None
    doc["nodes"][0]["errors"] = [{"section": "drivers", "message": "Access denied"}]
    code, result = evaluate(tmp_path, doc, "--phase", "pre", "--target-os", "2016")
    assert code == exitcodes.INCOMPLETE and "NODE1 drivers: Access denied" in result["collection_problems"]
    unknown = {f["rule_id"] for f in result["findings"] if f["status"] == "unknown"}
    assert unknown and all(rule.startswith("DRV-") for rule in unknown)
    decided = {f["rule_id"] for f in result["findings"] if f["node"] == "NODE1" and f["status"] == "pass"}
    assert {"CLU-020", "WMI-001"} <= decided


def test_info_findings_are_never_new_problems_in_a_diff(tmp_path: Path) -> None:
    from scanner.compare import compare_findings

    _, after = evaluate(tmp_path, EX / "post-fl8-traces.json", "--phase", "post")
    info = [f for f in after["findings"] if f["status"] == "info"]
    before = [{**f, "status": "pass"} if f["status"] == "info" else f for f in after["findings"]]
    comparison = compare_findings(before, after["findings"])
    assert info and not comparison.new and len(comparison.changed) == len(info)
