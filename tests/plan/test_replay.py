"""A plan applied to the lab step by step, every intermediate state scanned with the real pypsrp client.

The states the plan passes through must never scan NO-GO (the plan pauses only at its gates), and
the final state, after Update-ClusterFunctionalLevel, must scan GO in the post phase.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import paths
from scanner.cli import main
from scanner.lab import PASSWORD_ENV, load_scenario
from scanner.lab.evolve import ReplayError, apply
from scanner.plan import build_plan
from tests.collect.conftest import LAB_PASSWORD, lab_inventory_file, start_lab

VERDICTS = {0: "GO", 1: "GO WITH WARNINGS", 2: "NO-GO", 3: "INCOMPLETE"}


def _scan(inventory: Path, phase: str, target: str, out: Path) -> tuple[str, dict]:
    code = main(["scan", "-i", str(inventory), "--phase", phase, "--target-os", target, "--out", str(out),
                 "--no-pdfa", "--node-timeout", "60"])
    result = json.loads((out / "findings.json").read_text())
    return VERDICTS[code], result


def _blockers(result: dict, severities: tuple[str, ...] = ("critical", "high")) -> list[str]:
    return [f"{f['rule_id']} {f['subject']}: {f['status']}" for f in result["findings"]
            if f["status"] in ("fail", "unknown", "error", "manual") and f["severity"] in severities]


def _open(result: dict) -> list[str]:
    return _blockers(result, ("critical", "high", "medium", "low"))


# (scenario before, donor scenario of the target release, target)
PATHS = [("healthy-2012r2", "clean-2016-fl9", "2016"),
         ("healthy-s2d-2016-to-2019", "healthy-post-s2d-2016-to-2019", "2019"),
         ("healthy-hyperv-2019-to-2022", "healthy-hyperv-2022-to-2025", "2022")]


@pytest.mark.slow
@pytest.mark.parametrize("before, donor_name, target", PATHS, ids=[p[0] for p in PATHS])
def test_plan_replayed_in_the_lab(before, donor_name, target, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    scenario = load_scenario(paths.SCENARIOS_DIR / f"{before}.yaml")
    donor = load_scenario(paths.SCENARIOS_DIR / f"{donor_name}.yaml")
    seen: list[tuple[str, str, str]] = []
    with start_lab(scenario).running() as lab:
        inventory = lab_inventory_file(lab, tmp_path, read_timeout=10)
        verdict, result = _scan(inventory, "pre", target, tmp_path / "scan-start")
        assert verdict == "GO", _blockers(result)
        facts = json.loads((tmp_path / "scan-start" / "facts.json").read_text())
        plan = build_plan(facts, target)
        for step in plan.steps:
            for command in step.commands:
                lab.scenario = apply(lab.scenario, command.action, donor)
            if step.gate is not None and step.gate.scan_phase and step.phase in ("node", "validate"):
                verdict, result = _scan(inventory, step.gate.scan_phase, target, tmp_path / f"scan-{step.id}")
                seen.append((step.id, step.gate.scan_phase, verdict))
                assert verdict != "NO-GO", (step.id, _blockers(result))
        verdict, result = _scan(inventory, "post", target, tmp_path / "scan-end")
    capsys.readouterr()
    assert verdict == "GO", _open(result)
    assert result["cluster"]["functional_level"] == donor.cluster["functional_level"]
    assert [s for s, _, _ in seen] == [s.id for s in plan.steps if s.gate and s.gate.scan_phase
                                       and s.phase in ("node", "validate")]
    # every node went through drain → upgrade → resume, and the dedup volume never had owners on both sides
    assert {n.name for n in plan.nodes} == {n.name for n in scenario.nodes}


@pytest.mark.slow
def test_the_replay_would_catch_a_plan_that_forgets_the_dedup_owners(tmp_path, monkeypatch, capsys):
    """Upgrade the first node without restricting the dedup volume's owners: the mixed scan is NO-GO."""
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    scenario = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
    donor = load_scenario(paths.SCENARIOS_DIR / "clean-2016-fl9.yaml")
    with start_lab(scenario).running() as lab:
        for action in (("drain", "NODE2"), ("upgrade", "NODE2"), ("resume", "NODE2")):
            lab.scenario = apply(lab.scenario, action, donor)
        verdict, result = _scan(lab_inventory_file(lab, tmp_path, read_timeout=10), "mixed", "2016", tmp_path / "scan")
    capsys.readouterr()
    assert verdict == "NO-GO"
    assert any(b.startswith("DDP-003 ") for b in _blockers(result)), _blockers(result)


def test_replay_refuses_a_drain_with_nowhere_to_go():
    scenario = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
    pinned = apply(scenario, ("owners", "Cluster Disk 1", "NODE1"))
    with pytest.raises(ReplayError, match="FS1 has no Up node among its possible owners"):
        apply(pinned, ("drain", "NODE1"))


def test_moving_a_group_moves_its_volumes_and_shares():
    scenario = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
    moved = apply(scenario, ("move", "FS1", "NODE2"))
    assert not any(v.get("cluster_resource") == "Cluster Disk 1" for v in moved.node("NODE1").facts["volumes"])
    assert any(v.get("cluster_resource") == "Cluster Disk 1" for v in moved.node("NODE2").facts["volumes"])
    assert [s["name"] for s in moved.node("NODE2").facts["shares"]] == ["Data", "Profiles"]
    assert next(g for g in moved.cluster["groups"] if g["name"] == "FS1")["owner_node"] == "NODE2"
    assert scenario.node("NODE1").facts["shares"], "the original scenario is left unchanged"
