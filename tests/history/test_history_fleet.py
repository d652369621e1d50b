"""`rollready history fleet`: every cluster's latest verdict, trend, mixed-mode clock and drift."""
from __future__ import annotations

import json

from scanner.cli import main
from scanner.history import HistoryStore
from scanner.schemas import violations


def _record(db, scans):
    with HistoryStore.open(db) as store:
        return [store.record(result, facts, sha, f"/srv/scans/{result['cluster']['name']}/{i}")
                for i, (result, facts, _, sha) in enumerate(scans)]


def test_dashboard_shows_latest_trend_clock_and_drift(tmp_path, make_scan, capsys):
    db = tmp_path / "h.db"
    ids = _record(db, [
        make_scan(cluster="A", verdict="GO", collected_at="2026-11-01T02:00:00Z"),
        make_scan(cluster="A", verdict="GO WITH WARNINGS", collected_at="2026-11-02T02:00:00Z",
                  findings=[("LOW-1", "N1", "fail", "low")]),
        make_scan(cluster="A", verdict="NO-GO", builds={"N1": 14393, "N2": 9600}, collected_at="2026-11-03T02:00:00Z",
                  findings=[("DDP-003", "N1:E:", "fail", "critical"), ("LOW-1", "N1", "pass", "low")]),
        make_scan(cluster="B", verdict="INCOMPLETE", builds={"N1": 9600, "N2": None},
                  collected_at="2026-11-02T05:00:00Z", findings=[("AV-003", "N2", "unknown", "critical")]),
    ])
    assert main(["history", "fleet", "--history", str(db), "--format", "json", "--last", "2",
                 "--html", str(tmp_path / "fleet.html")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert violations(doc, "fleet.schema.json") == []
    assert doc["source"] == "history" and doc["verdict"]["status"] == "NO-GO" and doc["counts"] == {
        "NO-GO": 1, "INCOMPLETE": 1}
    a, b = doc["clusters"]
    assert (a["name"], a["run_id"], a["verdict"], a["trend"]) == ("A", ids[2], "NO-GO", ["GO WITH WARNINGS", "NO-GO"])
    assert a["drift"] == {"previous_run": ids[1], "previous_verdict": "GO WITH WARNINGS", "new_problems": 1,
                          "resolved": 1, "node_changes": 1}
    assert a["deciding"]["rule_id"] == "DDP-003"
    assert a["mixed_mode"] is True and a["mixed_mode_since"] == "2026-11-03T02:00:00Z" and a["mixed_mode_days"] > 0
    assert a["report"] == "/srv/scans/A/2/report.html"
    assert (b["verdict"], b["trend"], b["drift"], b["nodes"]) == ("INCOMPLETE", ["INCOMPLETE"], None,
                                                                   {"total": 2, "collected": 1})
    assert b["mixed_mode"] is None and b["mixed_mode_days"] is None  # N2 unreached: not known
    html = (tmp_path / "fleet.html").read_text()
    assert 'href="file:///srv/scans/A/2/report.html"' in html and "first run" in html

    assert main(["history", "fleet", "--history", str(db)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("fleet: NO-GO")
    line_a = next(line for line in text.splitlines() if line.startswith("A "))
    assert " GWN " in line_a and f"vs {ids[1]}: +1 -1 nodes 1" in line_a


def test_dashboard_of_an_empty_history(tmp_path, capsys):
    assert main(["history", "fleet", "--history", str(tmp_path / "h.db")]) == 0
    assert capsys.readouterr().out == "no runs recorded\n"
    assert main(["history", "fleet", "--history", str(tmp_path / "h.db"), "--last", "0"]) == 64
