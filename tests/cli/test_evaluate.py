"""`rollready evaluate` as a user runs it: verdicts, exit codes, one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import factory
from scanner import exitcodes, paths
from scanner.cli import main

EX = paths.EXAMPLES_DIR


@pytest.mark.parametrize("example,phase,code", [
    ("pre-healthy-2012r2.json", "pre", exitcodes.GO),
    ("mixed-dedup-hazard.json", "mixed", exitcodes.NO_GO),
    ("post-fl8-traces.json", "post", exitcodes.GO_WITH_WARNINGS),
])
def test_examples_give_their_verdicts(example: str, phase: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EX / example), "--phase", phase]) == code


def test_mixed_dedup_names_volume_and_older_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    main(["evaluate", str(EX / "mixed-dedup-hazard.json"), "--phase", "mixed"])
    out = " ".join(capsys.readouterr().out.split())
    assert "NO-GO" in out and "Cluster Disk 1" in out and "NODE2 (2012R2), NODE3 (2012R2)" in out
    assert 'volume E: "Data"' in out  # named by drive letter and label, not only the resource


def test_dedup_fail_back_gives_the_exact_owner_line_and_cites_field_practice(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    main(["evaluate", str(EX / "mixed-dedup-hazard.json"), "--format", "json", "--out", str(out)])
    ddp = next(f for f in json.loads(out.read_text())["findings"] if f["rule_id"] == "DDP-003")
    assert ddp["status"] == "fail" and ddp["severity"] == "critical"
    assert ddp["message"].endswith("Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners NODE1")
    refs = " ".join(ddp["references"])
    assert "31038.troubleshooting-data-deduplication-corruptions" in refs and "field practice" in refs
    assert "data-deduplication/interop" not in refs  # the interop page says dedup interoperates


def test_json_output_is_a_result_document(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code = main(["evaluate", str(EX / "mixed-dedup-hazard.json"), "--phase", "mixed", "--format", "json", "--out", str(out)])
    doc = json.loads(out.read_text())
    assert code == exitcodes.NO_GO and doc["verdict"]["status"] == "NO-GO"
    failing = [f for f in doc["findings"] if f["status"] == "fail"]
    assert failing[0]["rule_id"] == "DDP-003" and failing[0]["evidence"]
    assert doc["facts_sha256"] and doc["rule_pack"]["sha256"]


def test_unreachable_node_makes_it_incomplete_never_go(tmp_path: Path) -> None:
    doc = factory.facts()
    doc["nodes"][2] = {"name": "NODE3", "reachable": False, "errors": [{"section": "connection", "message": "refused"}]}
    p = tmp_path / "f.json"
    p.write_text(json.dumps(doc))
    assert main(["evaluate", str(p), "--phase", "pre"]) == exitcodes.INCOMPLETE


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content,needle", [
    ("not json at all", "invalid JSON"),
    ("[1, 2, 3]", "is not of type 'object'"),
    ('{"schema_version": "1"}', "'scan' is a required property"),
    ("\udcff", None),
])
def test_garbage_facts_exit_65_with_one_line(tmp_path: Path, content: str, needle: str | None) -> None:
    p = tmp_path / "g.json"
    p.write_bytes(content.encode("utf-8", "surrogateescape"))
    r = run_cli("evaluate", str(p), "--phase", "pre")
    assert r.returncode == exitcodes.DATAERR, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert r.stderr.startswith(f"rollready: error: {p}")
    if needle:
        assert needle in r.stderr


def test_usage_errors_exit_64() -> None:
    r = run_cli("evaluate", "x.json", "--phase", "sideways")
    assert r.returncode == exitcodes.USAGE and "invalid choice" in r.stderr and "Traceback" not in r.stderr
    assert run_cli().returncode == exitcodes.USAGE


def test_offline_collector_outputs_are_merged(tmp_path: Path) -> None:
    files = []
    doc = factory.facts([factory.node("NODE1"), factory.node("NODE2")])
    for node in doc["nodes"]:
        out = {"collector_version": "1", "node": node, "cluster": doc["cluster"]}
        p = tmp_path / f"{node['name']}.json"
        p.write_text(json.dumps(out))
        files.append(str(p))
    code = main(["evaluate", *files, "--phase", "pre", "--target-os", "2016", "--format", "json", "--out", str(tmp_path / "r.json")])
    doc = json.loads((tmp_path / "r.json").read_text())
    assert code == exitcodes.GO, doc["verdict"]
    assert doc["scan"]["method"] == "offline" and [n["name"] for n in doc["cluster"]["nodes"]] == ["NODE1", "NODE2"]


def test_version_and_rules_list() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("rollready ")
    r = run_cli("rules", "list")
    assert r.returncode == 0 and "DDP-003" in r.stdout


def test_offline_outputs_written_by_windows_powershell_are_utf16(tmp_path: Path) -> None:
    doc = factory.facts([factory.node("NODE1")])
    out = {"collector_version": "1", "node": doc["nodes"][0], "cluster": doc["cluster"]}
    p = tmp_path / "NODE1.json"
    p.write_bytes(b"\xff\xfe" + json.dumps(out).encode("utf-16-le"))  # what `>` writes in Windows PowerShell
    result = tmp_path / "r.json"
    main(["evaluate", str(p), "--phase", "pre", "--target-os", "2016", "--format", "json", "--out", str(result)])
    assert [n["name"] for n in json.loads(result.read_text())["cluster"]["nodes"]] == ["NODE1"]


def test_a_mix_of_facts_and_outputs_is_refused(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(factory.facts()))
    r = run_cli("evaluate", str(facts), str(facts), "--phase", "pre")
    assert r.returncode == exitcodes.DATAERR and "Traceback" not in r.stderr and str(facts) in r.stderr


def test_hostile_registry_strings_stay_inert_in_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = factory.post_fl8_traces()
    doc["nodes"][0]["cluster_registry"]["os"] = "{{ 7*7 }}\u202e<script>alert(1)</script>" + "A" * 5000
    p = tmp_path / "f.json"
    p.write_text(json.dumps(doc))
    main(["evaluate", str(p), "--phase", "post"])
    out = capsys.readouterr().out
    assert "{{ 7*7" in out and "(OS 49" not in out  # the table may wrap, but nothing was evaluated
    assert "\u202e" not in out and "U+202E" in out
    assert out.count("A") < 1000  # clipped; the JSON keeps it whole


def test_an_unwritable_output_is_one_line_and_exit_73() -> None:
    r = run_cli("evaluate", str(EX / "pre-healthy-2012r2.json"), "--out", "/proc/no-such-dir/r.txt")
    assert r.returncode == exitcodes.CANTCREAT and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "/proc/no-such-dir" in r.stderr


@pytest.mark.parametrize("home", ["/nonexistent-rollready-home", "/etc/hostname"])
def test_a_rollready_home_without_the_data_is_one_usage_line(home: str) -> None:
    """It surfaced as exit 73 (an output that could not be written) naming schemas/facts.schema.json."""
    done = subprocess.run([sys.executable, "-m", "scanner", "evaluate", str(paths.EXAMPLES_DIR / "pre-healthy-2012r2.json")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "ROLLREADY_HOME": home})
    assert done.returncode == exitcodes.USAGE
    assert done.stderr.strip() == (f"rollready: error: ROLLREADY_HOME={home} is not a rollready data folder "
                                   "(no rules/, schemas/, report_templates/)")
