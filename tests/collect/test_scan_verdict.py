"""`rollready scan` judges like `rollready evaluate` (issue #10): the observed phase selects the rules,
and a member of the cluster left out of the inventory keeps the verdict from GO."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scanner import exitcodes, paths
from scanner.cli import main
from scanner.lab import PASSWORD_ENV, load_scenario
from tests.collect.conftest import LAB_PASSWORD, start_lab

FAST = {"connect_timeout": 5, "read_timeout": 5, "operation_timeout": 1, "retries": 1}


def scan(scenario_name: str, tmp_path: Path, *args: str, keep: int | None = None) -> tuple[int, dict]:
    scenario = load_scenario(paths.SCENARIOS_DIR / f"{scenario_name}.yaml")
    out = tmp_path / "out"
    with start_lab(scenario).running() as lab:
        inv = lab.inventory()
        for cluster in inv["clusters"]:
            cluster["transport"].update(FAST)
            if keep is not None:
                cluster["nodes"] = cluster["nodes"][:keep]
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(yaml.safe_dump(inv))
        code = main(["scan", "-i", str(inventory), "--target-os", "2016", "--out", str(out), "--no-pdfa",
                     "--history", str(tmp_path / "history.db"), *args])
    return code, json.loads((out / "findings.json").read_text())


@pytest.mark.slow
def test_scan_with_a_wrong_declared_phase_runs_the_observed_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    code, result = scan("mixed-dedup-hazard", tmp_path, "--phase", "pre")
    assert code == exitcodes.NO_GO and (result["observed_phase"], result["declared_phase"]) == ("mixed", "pre")
    failed = {f["rule_id"] for f in result["findings"] if f["status"] == "fail"}
    assert {"DDP-003", "PHS-001"} <= failed


@pytest.mark.slow
def test_scan_of_part_of_a_cluster_is_incomplete_and_names_the_rest(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    code, result = scan("healthy-2012r2", tmp_path, keep=1)
    assert code == exitcodes.INCOMPLETE and result["verdict"]["status"] == "INCOMPLETE"
    assert [m["name"] for m in result["coverage"]["not_scanned"]] == result["coverage"]["members"][1:]
    assert "not scanned" in result["verdict"]["reason"]
    assert "not scanned" in capsys.readouterr().out
