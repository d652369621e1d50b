"""Coverage: every member of the cluster is scanned or named as not scanned; names are matched once."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import factory
import pytest

from scanner import exitcodes, paths
from scanner.cli import main
from scanner.errors import InputError
from scanner.facts.coverage import NodeIdentity, cluster_conflicts, conflict_line, coverage, name_key
from scanner.facts.outputs import facts_from_outputs
from scanner.report.machine import to_csv, to_junit

EX = paths.EXAMPLES_DIR


@pytest.mark.parametrize("name,key", [
    ("NODE1", "node1"), ("node1.corp.example", "node1"), ("Node1.Corp.Example:5986", "node1"),
    ("127.0.0.1", None), ("127.0.0.1:5986", None), ("[::1]:5986", None), ("", None),
])
def test_name_key(name: str, key: str | None) -> None:
    assert name_key(name) == key


def test_identity_matches_fqdn_netbios_and_case_but_never_an_address() -> None:
    ident = NodeIdentity("NODE2", "node2.corp.example")
    assert ident.is_named("node2") and ident.is_named("NODE2.other.example")
    assert not ident.is_named("NODE20") and not NodeIdentity("127.0.0.2").is_named("127.0.0.2")


def one_node_removed(tmp_path: Path) -> Path:
    doc = json.loads((EX / "pre-healthy-2012r2.json").read_text())
    doc["nodes"] = doc["nodes"][:1]
    p = tmp_path / "one-node.json"
    p.write_text(json.dumps(doc))
    return p


def test_members_left_out_make_it_incomplete_and_are_named_everywhere(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: pre-healthy-2012r2 with only NODE1 gave "GO — All … checks passed"."""
    facts = one_node_removed(tmp_path)
    assert main(["evaluate", str(facts), "--phase", "pre", "--target-os", "2016"]) == exitcodes.INCOMPLETE
    out = " ".join(capsys.readouterr().out.split())
    assert "INCOMPLETE" in out and "not scanned: NODE2, NODE3" in out
    assert "member NODE2 not scanned (not in the inventory or --node list)" in out
    out_json = tmp_path / "r.json"
    html = tmp_path / "r.html"
    main(["evaluate", str(facts), "--phase", "pre", "--format", "json", "--out", str(out_json), "--html", str(html)])
    result = json.loads(out_json.read_text())
    assert result["coverage"] == {
        "members": ["NODE1", "NODE2", "NODE3"], "scanned": ["NODE1"], "not_members": [], "complete": False,
        "not_scanned": [{"name": "NODE2", "reason": "not_in_scan"}, {"name": "NODE3", "reason": "not_in_scan"}],
    }
    assert any(p.startswith("NODE3 is a member of") for p in result["collection_problems"])
    assert "not scanned NODE2 (not in the inventory or --node list), NODE3" in html.read_text()
    junit = ET.fromstring(to_junit(result))
    suite = junit.find("testsuite[@name='coverage']")
    assert suite is not None and suite.get("errors") == "2"
    csv = to_csv(result).decode("utf-8-sig")
    assert "COVERAGE" in csv and "member NODE2 not scanned" in csv


def test_inventory_fqdn_names_are_matched_not_double_counted() -> None:
    doc = factory.facts()
    doc["nodes"][0]["inventory_name"] = "node1.corp.example"
    doc["nodes"][2] = {"name": "Node3.Corp.Example", "reachable": False,
                       "errors": [{"section": "connection", "message": "refused"}]}
    cov = coverage(doc)
    assert cov.not_scanned == ["NODE3"] and not cov.outsiders
    assert [m.status for m in cov.members or ()] == ["scanned", "scanned", "unreachable"]
    assert cov.problems() == []  # the unreached node is a collection gap of its own


def test_a_scanned_node_the_cluster_does_not_list_is_named() -> None:
    doc = factory.facts()
    doc["cluster"]["nodes"] = doc["cluster"]["nodes"][:2]
    cov = coverage(doc)
    assert cov.outsiders == ("NODE3",) and cov.complete is False
    assert cov.problems() == ["NODE3 was scanned but FSCLUSTER1 does not list it as a member"]


def test_member_list_not_collected_leaves_coverage_unknown() -> None:
    doc = factory.facts()
    doc["cluster"]["nodes"] = None
    cov = coverage(doc)
    assert cov.complete is None and cov.to_dict()["members"] is None


def collector_output(node: str, cluster: str) -> dict[str, object]:
    doc = factory.facts()
    return {"collector_version": "1", "node": {**doc["nodes"][0], "name": node},
            "cluster": {**doc["cluster"], "name": cluster}}


def test_nodes_of_two_clusters_are_never_merged() -> None:
    outputs = [collector_output("NODE1", "FSCLUSTER1"), collector_output("NODE9", "OTHERCLUSTER")]
    with pytest.raises(InputError) as err:
        facts_from_outputs(outputs, {"tool_version": "x", "collected_at": "2026-11-20T00:00:00Z", "method": "offline"})
    message = err.value.problems[0].render()
    assert "different clusters" in message and "NODE9 reports OTHERCLUSTER" in message and "\n" not in message


def test_cluster_conflicts_with_and_without_the_inventory_name() -> None:
    """Server text: a name that is no string or no name (an address) says nothing and never crashes."""
    reported = [("N1", "FS1"), ("N2", "fs1.corp.example"), ("N3", "OTHER"), ("N4", None), ("N5", 7), ("N6", "10.0.0.9")]
    assert cluster_conflicts("FS1", reported) == [("N3", "OTHER")]
    assert cluster_conflicts(None, reported) == [("N1", "FS1"), ("N3", "OTHER")]
    assert cluster_conflicts(None, reported[:2]) == [] and cluster_conflicts("FS1", reported[:2]) == []
    assert conflict_line("FS2", [("N1", "FS1"), ("N2", "FS1")]) == (
        "N1 reports cluster FS1; N2 reports cluster FS1, not FS2: fix the inventory (a cluster's history is never "
        "merged with another's)")


def test_cluster_names_compare_like_node_names() -> None:
    outputs = [collector_output("NODE1", "FSCLUSTER1"), collector_output("NODE2", "fscluster1.corp.example")]
    doc = facts_from_outputs(outputs, {"tool_version": "x", "collected_at": "2026-11-20T00:00:00Z", "method": "offline"})
    assert len(doc["nodes"]) == 2


def only_the_2016_node(tmp_path: Path, builds: list[int] | None) -> Path:
    doc = json.loads((EX / "mixed-dedup-hazard.json").read_text())
    doc["nodes"] = [n for n in doc["nodes"] if n["name"] == "NODE1"]
    for member, build in zip(doc["cluster"]["nodes"], builds or []):
        member["build_number"] = build
    path = tmp_path / "only-node1.json"
    path.write_text(json.dumps(doc))
    return path


def test_scanning_only_the_upgraded_node_never_reads_as_one_release(tmp_path: Path) -> None:
    """The issue's case: only the 2016 node of the mixed lab gave "2016 → 2016" and blamed the level."""
    out = tmp_path / "r.json"
    code = main(["evaluate", str(only_the_2016_node(tmp_path, None)), "--target-os", "2016", "--format", "json",
                 "--out", str(out)])
    result = json.loads(out.read_text())
    assert code == exitcodes.INCOMPLETE and result["source_os"] is None
    assert result["verdict"]["reason"].startswith("Not a GO: cluster member(s) not scanned: NODE2, NODE3")
    assert not [f for f in result["findings"] if f["rule_id"] == "CLU-010" and f["status"] == "fail"]


def test_members_not_scanned_count_by_the_build_the_cluster_reports(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code = main(["evaluate", str(only_the_2016_node(tmp_path, [14393, 9600, 9600])), "--target-os", "2016",
                 "--format", "json", "--out", str(out)])
    result = json.loads(out.read_text())
    assert (result["observed_phase"], result["source_os"]) == ("mixed", "2012R2")
    assert code == exitcodes.NO_GO and result["verdict"]["reason"].startswith("DDP-003")  # owners by their builds
    assert "cluster member(s) not scanned: NODE2, NODE3" in result["verdict"]["reason"]


@pytest.mark.slow
def test_the_pdf_cover_names_the_members_not_scanned(tmp_path: Path) -> None:
    import subprocess

    pdf = tmp_path / "r.pdf"
    main(["evaluate", str(one_node_removed(tmp_path)), "--phase", "pre", "--target-os", "2016", "--pdf", str(pdf),
          "--no-pdfa"])
    cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    text = " ".join(cover.split())
    assert "INCOMPLETE" in text and "not scanned NODE2" in text and "NODE3" in text
