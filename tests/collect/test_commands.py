"""`rollready scan`, `collect` and `demo` on the command line (over the lab where they need nodes)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scanner.cli import main
from scanner.collect import collector_script
from scanner.facts.document import load_facts
from scanner.lab import PASSWORD_ENV
from tests.collect.conftest import LAB_PASSWORD, scenario, start_lab


def test_emit_script_writes_the_shipped_bytes(tmp_path: Path, capsys) -> None:
    target = tmp_path / "collector.ps1"
    assert main(["collect", "--emit-script", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == collector_script()
    assert "sha256" in capsys.readouterr().err
    assert main(["collect", "--emit-script", "-"]) == 0
    assert capsys.readouterr().out == collector_script()


@pytest.mark.parametrize(
    "argv",
    [
        ["collect", "--emit-script", "x.ps1", "--node", "n1"],
        ["collect", "--node", "n1"],  # no --out
        ["scan", "--phase", "pre", "--target-os", "2016", "--out", "o"],  # neither -i nor --node
        ["scan", "-i", "inv.yaml", "--node", "n1", "--phase", "pre", "--target-os", "2016", "--out", "o"],
        ["scan", "-i", "inv.yaml", "--insecure", "--phase", "pre", "--target-os", "2016", "--out", "o"],
        ["scan", "--node", "n1", "--phase", "pre", "--target-os", "2016", "--out", "o", "--parallel", "0"],
    ],
)
def test_usage_errors_exit_64(argv, capsys) -> None:
    assert main(argv) == 64
    assert "rollready: error:" in capsys.readouterr().err


@pytest.mark.slow
def test_scan_with_node_flags(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LAB_PW", LAB_PASSWORD)
    with start_lab(scenario()).running() as lab:
        nodes = [arg for ep in lab.endpoints for arg in ("--node", f"{ep.host}:{ep.port}")]
        code = main(["scan", *nodes, "--scheme", "http", "--auth", "basic", "--username", "LAB\\admin",
                     "--password-env", "LAB_PW", "--cluster", "COLLCLU", "--phase", "pre", "--target-os", "2016",
                     "--out", str(tmp_path), "--no-pdfa"])
    assert code in (0, 1, 2, 3)
    facts = load_facts(tmp_path / "facts.json")
    assert [n["name"] for n in facts["nodes"]] == ["N1", "N2", "N3"] and all(n["reachable"] for n in facts["nodes"])
    assert facts["scan"]["inventory"] == "--node" and facts["scan"]["method"] == "winrm"
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert findings["verdict"]["exit_code"] == code
    assert "report.html" in capsys.readouterr().out


def test_missing_password_variable_is_bad_input(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("NOPE_PW", raising=False)
    code = main(["scan", "--node", "127.0.0.1:1", "--scheme", "http", "--auth", "basic", "--username", "u",
                 "--password-env", "NOPE_PW", "--phase", "pre", "--target-os", "2016", "--out", str(tmp_path)])
    assert code == 65 and "NOPE_PW is not set" in capsys.readouterr().err
    assert not (tmp_path / "facts.json").exists()


def test_collect_writes_facts_and_says_what_is_missing(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    with start_lab(scenario({"refuse": True})).running() as lab:
        inv = lab.inventory()
        inv["clusters"][0]["transport"]["retries"] = 0
        (tmp_path / "inv.yaml").write_text(yaml.safe_dump(inv))
        code = main(["collect", "-i", str(tmp_path / "inv.yaml"), "--out", str(tmp_path / "facts.json"), "--phase", "pre"])
    assert code == 3  # a node is missing: incomplete
    facts = load_facts(tmp_path / "facts.json")
    assert facts["scan"]["phase"] == "pre"
    assert [n["reachable"] for n in facts["nodes"]] == [True, True, False]
    assert "N3: not collected (connection: Connection refused)" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_prints_the_verdict_and_the_report_paths(tmp_path: Path, capsys) -> None:
    assert main(["demo", "healthy-2012r2", "--out", str(tmp_path), "--no-pdfa"]) == 0
    out = capsys.readouterr().out
    assert "FSCLUSTER1: " in out and "expected: " in out
    verdict = out.split("FSCLUSTER1: ")[1].split(" — ")[0]
    assert f"expected: {verdict} " in out  # the lab scan gives the scenario's expected verdict
    for name in ("report.html", "report.pdf", "findings.json", "facts.json"):
        assert str(tmp_path / name) in out and (tmp_path / name).exists()
    assert load_facts(tmp_path / "facts.json")["scan"]["method"] == "lab"


def test_demo_unknown_scenario(capsys) -> None:
    assert main(["demo", "no-such-scenario"]) == 65
    assert "mixed-dedup-hazard" in capsys.readouterr().err


@pytest.mark.slow
def test_scans_are_recorded_in_history_and_date_mixed_mode(tmp_path: Path, monkeypatch, capsys) -> None:
    from scanner.history import HistoryStore
    from scanner.lab import load_scenario
    from scanner.paths import SCENARIOS_DIR

    monkeypatch.setenv("ROLLREADY_HISTORY", str(tmp_path / "h.db"))
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    inventory = tmp_path / "inv.yaml"
    with start_lab(load_scenario(SCENARIOS_DIR / "mixed-dedup-hazard.yaml")).running() as lab:
        inventory.write_text(yaml.safe_dump(lab.inventory()))
        for run in ("a", "b"):
            main(["scan", "-i", str(inventory), "--phase", "mixed", "--target-os", "2016",
                  "--out", str(tmp_path / run), "--no-pdfa"])
    facts = load_facts(tmp_path / "b" / "facts.json")
    assert facts["scan"]["mixed_mode_since"]  # dated from the history (or the upgraded node's install date)
    with HistoryStore.open(tmp_path / "h.db") as store:
        assert len(store.runs()) == 2
