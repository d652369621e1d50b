"""The fleet document's pieces: worst verdict, deciding finding, cluster folders, report links."""
from __future__ import annotations

from scanner import paths
from scanner.cli.lab_cmd import fleet_scenarios
from scanner.inventory import Cluster
from scanner.lab import load_scenario
from scanner.pipeline import cluster_folders
from scanner.report.fleet import _link, deciding_finding, worst


def test_worst_verdict_orders_no_go_above_incomplete():
    assert worst(["GO", "INCOMPLETE", "GO WITH WARNINGS"]) == "INCOMPLETE"
    assert worst(["INCOMPLETE", "NO-GO", "GO"]) == "NO-GO"
    assert worst(["GO", "GO"]) == "GO"
    assert worst([]) == "INCOMPLETE"  # no cluster scanned is never a GO


def _f(rule, status, severity, blocking=True):
    return {"rule_id": rule, "status": status, "severity": severity, "blocking": blocking, "subject": "S", "title": "T"}


def test_the_deciding_finding_follows_the_verdict():
    findings = [_f("LOW-1", "fail", "low", False), _f("CRIT-1", "fail", "critical"), _f("UNK-1", "unknown", "high")]
    assert deciding_finding({"verdict": {"status": "NO-GO"}, "findings": findings})["rule_id"] == "CRIT-1"
    assert deciding_finding({"verdict": {"status": "INCOMPLETE"}, "findings": findings})["rule_id"] == "UNK-1"
    gap = deciding_finding({"verdict": {"status": "INCOMPLETE"}, "findings": [], "collection_problems": ["N3: refused"]})
    assert gap == {"rule_id": None, "status": "collection", "severity": None, "subject": None, "title": "N3: refused"}
    warn = [_f("INFO-1", "fail", "info", False), _f("MED-1", "fail", "medium", False)]
    assert deciding_finding({"verdict": {"status": "GO WITH WARNINGS"}, "findings": warn})["rule_id"] == "MED-1"
    assert deciding_finding({"verdict": {"status": "GO"}, "findings": findings}) is None


def test_cluster_folders_are_safe_and_distinct():
    names = ["FS1", "fs1", "../etc", "CON", "fleet.json", "a b/c", ""]
    folders = cluster_folders([Cluster(n, ()) for n in names])
    assert [folders[n] for n in names] == ["FS1", "fs1-2", "_etc", "CON_", "fleet.json-2", "a_b_c", "cluster"]


def test_report_links_are_relative_or_file_uris_only():
    assert _link("FS 1/report.html") == "FS%201/report.html"
    assert _link("/var/lib/rollready/FS1/report.html") == "file:///var/lib/rollready/FS1/report.html"
    assert _link("javascript:alert(1)") is None
    assert _link(None) is None


def test_lab_fleets_get_distinct_cluster_names():
    loaded = [load_scenario(paths.SCENARIOS_DIR / f"{n}.yaml") for n in ("healthy-2012r2", "wmi-broken", "healthy-2012r2")]
    assert [s.cluster["name"] for s in fleet_scenarios(loaded)] == ["FSCLUSTER1", "FSCLUSTER1-2", "FSCLUSTER1-3"]
