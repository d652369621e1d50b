"""Fleet scans: every cluster of an inventory in one run, one node budget, one folder per cluster,
fleet.json / fleet.html / fleet.pdf, the worst verdict as exit code."""
from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import replace
from functools import partial

import pytest
import yaml
from markupsafe import escape  # how the templates escape (jinja2's autoescape)

from scanner import exitcodes
from scanner.cli import main
from scanner.cli.progress import Progress
from scanner.collect.scan import ClusterMismatch, CollectOptions, ScanMeta, ScanResult, scan_fleet
from scanner.collect.winrm import NodeResult
from scanner.lab import PASSWORD_ENV
from scanner.report.fleet import VERDICT_ORDER
from scanner.schemas import violations
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab
from tests.fleet.conftest import FLEET_PASSWORD, lab_fleet
from tests.live import PATIENCE_S


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_three_cluster_fleet_writes_three_folders_and_exits_with_the_worst_verdict(backend, tmp_path, monkeypatch,
                                                                                      capsys, request):
    inventory, out = tmp_path / "fleet.yaml", tmp_path / "out"
    db = str(tmp_path / "history.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv(PASSWORD_ENV, FLEET_PASSWORD)
    with lab_fleet(inventory):
        code = main(["scan", "-i", str(inventory), "--target-os", "2016", "--out", str(out),  # no --phase: observed
                     "--history", db, "--no-pdfa"])
    names = ["FSCLUSTER1", "FSCLUSTER1-2", "FSCLUSTER1-3"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "fleet.json", "fleet.html", "fleet.pdf"])
    verdicts = {}
    for name in names:
        assert sorted(p.name for p in (out / name).iterdir()) == ["facts.json", "findings.json", "report.html", "report.pdf"]
        verdicts[name] = json.loads((out / name / "findings.json").read_text())["verdict"]["status"]
    assert verdicts == {"FSCLUSTER1": "GO", "FSCLUSTER1-2": "INCOMPLETE",  # NODE3 refuses
                        "FSCLUSTER1-3": "NO-GO"}  # the dedup hazard, seen because this cluster is judged as mixed
    fleet = json.loads((out / "fleet.json").read_text())
    assert violations(fleet, "fleet.schema.json") == []
    assert [r["name"] for r in fleet["clusters"]] == names
    assert {r["name"]: r["verdict"] for r in fleet["clusters"]} == verdicts
    worst = max(verdicts.values(), key=VERDICT_ORDER.index)
    assert fleet["verdict"]["status"] == worst == "NO-GO" and code == fleet["verdict"]["exit_code"] == exitcodes.NO_GO
    assert [r["phase"] for r in fleet["clusters"]] == ["pre", "pre", "mixed"]  # each on its own observed phase
    unreachable = fleet["clusters"][1]
    assert unreachable["nodes"] == {"total": 3, "collected": 2} and unreachable["deciding"] is not None
    assert fleet["clusters"][2]["mixed_mode"] is True and fleet["clusters"][2]["mixed_mode_days"] >= 0
    html = (out / "fleet.html").read_text()
    assert 'href="FSCLUSTER1-3/report.html"' in html and worst in html
    printed = capsys.readouterr().out
    assert printed.startswith(f"fleet: {worst}") and "1 of 3 nodes not collected" in printed
    assert main(["history", "list", "--history", db, "--format", "json"]) == exitcodes.GO
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["cluster"] for r in listed) == names
    assert {r["cluster"]: r["verdict"] for r in listed} == verdicts
    assert {r["cluster"]: r["report_dir"] for r in listed} == {n: str(out / n) for n in names}


@pytest.mark.slow
def test_a_cluster_whose_nodes_report_another_cluster_is_one_row_and_the_others_are_written(tmp_path, monkeypatch,
                                                                                           capsys):
    """The inventory calls the second cluster FSCLUSTER9, its nodes say FSCLUSTER1-2: that cluster is
    named in one line in every fleet output, gets no report, and keeps the fleet from GO; the healthy
    cluster is collected, evaluated, written and recorded as usual. Alone, it is today's exit 65."""
    inventory, out, db = tmp_path / "fleet.yaml", tmp_path / "out", str(tmp_path / "history.db")
    monkeypatch.setenv(PASSWORD_ENV, FLEET_PASSWORD)
    with lab_fleet(inventory, ("healthy-2012r2", "healthy-2012r2")):
        doc = yaml.safe_load(inventory.read_text())
        doc["clusters"][1]["name"] = "FSCLUSTER9"
        inventory.write_text(yaml.safe_dump(doc))
        code = main(["scan", "-i", str(inventory), "--target-os", "2016", "--out", str(out), "--history", db,
                     "--no-pdfa"])
        printed = capsys.readouterr().out
        alone = main(["scan", "-i", str(inventory), "--cluster", "FSCLUSTER9", "--target-os", "2016",
                      "--out", str(tmp_path / "alone")])
        alone_err = capsys.readouterr().err
    assert alone == exitcodes.DATAERR and not (tmp_path / "alone" / "findings.json").exists()
    assert alone_err.count("\n") == 1 and "reports cluster FSCLUSTER1-2" in alone_err and "not FSCLUSTER9" in alone_err

    assert sorted(p.name for p in out.iterdir()) == ["FSCLUSTER1", "fleet.html", "fleet.json", "fleet.pdf"]
    good = json.loads((out / "FSCLUSTER1" / "findings.json").read_text())
    assert good["verdict"]["status"] == "GO"
    fleet = json.loads((out / "fleet.json").read_text())
    assert violations(fleet, "fleet.schema.json") == []
    assert [r["name"] for r in fleet["clusters"]] == ["FSCLUSTER1", "FSCLUSTER9"]
    assert fleet["verdict"]["status"] == "INCOMPLETE" and code == fleet["verdict"]["exit_code"] == exitcodes.INCOMPLETE
    assert "not evaluated" in fleet["verdict"]["reason"]
    bad = fleet["clusters"][1]
    assert bad["verdict"] == "INCOMPLETE" and bad["report"] is None and bad["findings"] is None
    assert bad["nodes"] == {"total": 3, "collected": 3}
    line = bad["error"]
    assert "\n" not in line and "not FSCLUSTER9" in line
    assert [f"{n} reports cluster FSCLUSTER1-2" in line for n in ("NODE1", "NODE2", "NODE3")] == [True] * 3
    assert "error" not in fleet["clusters"][0]
    assert f"not evaluated: {escape(line)}" in (out / "fleet.html").read_text()
    pdf = subprocess.run(["pdftotext", "-layout", str(out / "fleet.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "not evaluated" in pdf and "FSCLUSTER9" in pdf
    assert printed.startswith("fleet: INCOMPLETE")
    assert any(row.startswith("  FSCLUSTER9") and f"not evaluated: {line}" in row for row in printed.splitlines())
    assert main(["history", "list", "--history", db, "--format", "json"]) == exitcodes.GO
    assert [r["cluster"] for r in json.loads(capsys.readouterr().out)] == ["FSCLUSTER1"]  # never recorded


def test_a_mismatched_cluster_is_yielded_as_a_value_and_the_others_are_collected():
    """Inventory clusters on two labs (COLLCLU, OTHERCLU): one named right, one named wrong, and one
    without a name of its own (`--node`) whose nodes report both clusters."""
    other = scenario()
    other = replace(other, cluster={**other.cluster, "name": "OTHERCLU"})
    with start_lab(scenario()).running() as lab, start_lab(other).running() as lab2:
        base, base2 = lab_cluster(lab), lab_cluster(lab2)
        clusters = [replace(base, name="PRODCLU"), replace(base, name="collclu"),  # names compare like node names
                    replace(base, name="adhoc", named=False, nodes=(base.nodes[0], base2.nodes[1]))]
        done = list(scan_fleet(clusters, ScanMeta(method="lab", inventory="fleet.yaml"),
                               CollectOptions(resolver=resolver(), parallel=3)))
    by_name = {d.cluster: d for d in done}
    bad, good, mixed = by_name["PRODCLU"], by_name["collclu"], by_name["adhoc"]
    assert isinstance(bad, ClusterMismatch) and isinstance(good, ScanResult) and isinstance(mixed, ClusterMismatch)
    assert bad.conflicts == (("N1", "COLLCLU"), ("N2", "COLLCLU"), ("N3", "COLLCLU")) and len(bad.results) == 3
    assert bad.error().problems[0].render() == f"fleet.yaml: {bad.line}"
    assert good.facts["cluster"]["name"] == "COLLCLU" and len(good.facts["nodes"]) == 3
    assert mixed.conflicts == (("N1", "COLLCLU"), ("N2", "OTHERCLU"))
    assert "different clusters (N1 reports COLLCLU, N2 reports OTHERCLU)" in mixed.line


@pytest.mark.slow
def test_cluster_picks_several_and_refuses_an_unknown_one(tmp_path, monkeypatch, capsys):
    inventory, out = tmp_path / "fleet.yaml", tmp_path / "out"
    monkeypatch.setenv(PASSWORD_ENV, FLEET_PASSWORD)
    with lab_fleet(inventory):
        assert main(["scan", "-i", str(inventory), "--cluster", "fscluster1-3", "--cluster", "NOPE", "--phase", "pre",
                     "--target-os", "2016", "--out", str(out)]) == exitcodes.USAGE
        assert "no cluster 'NOPE'" in capsys.readouterr().err
        assert main(["scan", "-i", str(inventory), "--cluster", "FSCLUSTER1", "--phase", "pre", "--target-os", "2016",
                     "--out", str(out), "--unattended"]) in (exitcodes.GO, exitcodes.GO_WITH_WARNINGS)
        assert main(["scan", "-i", str(inventory), "--cluster", "FSCLUSTER1", "--cluster", "FSCLUSTER1-2", "--phase",
                     "pre", "--target-os", "2016", "--out", str(out), "--unattended"]) == exitcodes.USAGE
    assert "--unattended scans one cluster" in capsys.readouterr().err


def test_one_node_budget_for_the_whole_fleet():
    """parallel=2 over three clusters of three nodes: never more than two nodes in flight at once."""
    with start_lab(scenario()).running() as lab:
        base = lab_cluster(lab)
    clusters = [replace(base, name=f"C{i}", named=False) for i in range(3)]
    lock, busy, peak, begun = threading.Lock(), [0], [0], [0]
    first_two = threading.Barrier(2, timeout=PATIENCE_S)  # two in flight at once, however the threads are scheduled

    def collect(node, creds) -> NodeResult:
        with lock:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
            begun[0] += 1
            first = begun[0] <= 2
        if first:
            first_two.wait()
        time.sleep(0.05)  # each node held a while: a third node in flight would be counted
        with lock:
            busy[0] -= 1
        return NodeResult(node.name, {"collector_version": "1", "node": {"name": node.name, "reachable": True,
                                                                         "errors": []}, "cluster": None}, 1, 0)

    done = list(scan_fleet(clusters, ScanMeta(method="lab"), CollectOptions(resolver=resolver(), parallel=2,
                           collect=collect)))
    assert peak[0] == 2
    assert sorted(r.cluster for r in done) == ["C0", "C1", "C2"]
    assert done[0].cluster == "C0"  # nodes are queued cluster after cluster: the first completes first
    assert all(len(r.results) == 3 and not r.partial for r in done)


def test_progress_groups_nodes_by_cluster(capsys):
    with start_lab(scenario({"refuse": True})).running() as lab:
        base = lab_cluster(lab, connect_timeout=5, retries=1)
        # the nodes report COLLCLU: names the inventory does not claim for them (named=False)
        clusters = [replace(base, name="ALPHA", named=False), replace(base, name="BETA", nodes=base.nodes[:2], named=False)]
        list(scan_fleet(clusters, ScanMeta(method="lab"), CollectOptions(resolver=resolver(), parallel=4, display=partial(Progress, enabled=True))))
    err = capsys.readouterr().err
    assert "ALPHA" in err and "BETA" in err
    assert "3 of 3 nodes, 1 not collected" in err and "2 of 2 nodes" in err
    assert "N3" in err and "connection" in err  # a failed node stays listed under its cluster


def test_each_cluster_goes_to_the_caller_once_written_and_the_fleet_keeps_none(tmp_path, monkeypatch):
    """The fleet's outcome holds folders and rows, not every cluster's facts and findings: each
    cluster's outcome goes to `each` as soon as its files are written (the CLI records it then)."""
    from scanner.credentials import CredentialResolver
    from scanner.inventory import load_inventory
    from scanner.pipeline import ReportOptions, ScanOptions, scan_fleet_and_report

    inventory, out = tmp_path / "fleet.yaml", tmp_path / "out"
    seen: list[tuple[str, str, bool, int]] = []

    def each(outcome, folder) -> None:
        seen.append((outcome.scan.cluster, folder.name, (folder / "findings.json").exists(), len(outcome.facts["nodes"])))

    with lab_fleet(inventory):
        clusters = load_inventory(inventory).clusters
        fleet = scan_fleet_and_report(clusters, out, ScanOptions(meta=ScanMeta(method="lab", target_os="2016"),
                                                                 reports=ReportOptions(html=False, pdf=False)),
                                      resolver=CredentialResolver(env={PASSWORD_ENV: FLEET_PASSWORD}), each=each)
    names = ["FSCLUSTER1", "FSCLUSTER1-2", "FSCLUSTER1-3"]
    assert sorted(seen) == [(n, n, True, 3) for n in names]
    assert fleet.folders == tuple(names) and not fleet.partial
    assert [r["name"] for r in fleet.document["clusters"]] == names
    assert not hasattr(fleet, "clusters")  # the clusters' outcomes are not kept
