"""`rollready history list|show|drift|prune` over a history built from recorded documents."""
from __future__ import annotations

import json
import subprocess

from scanner import exitcodes
from scanner.cli import main
from scanner.history import HistoryStore


def _history(tmp_path, make_scan):
    db = tmp_path / "h.db"
    with HistoryStore.open(db) as store:
        for day, verdict, builds, status in ((20, "GO", {"N1": 9600, "N2": 9600}, "pass"),
                                             (21, "NO-GO", {"N1": 14393, "N2": 9600}, "fail")):
            result, facts, _, sha = make_scan(verdict=verdict, builds=builds, phase="mixed",
                                              collected_at=f"2026-11-{day}T02:00:00Z",
                                              findings=[("DDP-003", "N1:E:", status, "critical")])
            store.record(result, facts, sha, str(tmp_path / f"run{day}"))
    return db


def test_list_and_show(tmp_path, make_scan, capsys):
    db = _history(tmp_path, make_scan)
    assert main(["history", "list", "--history", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["2", "2026-11-21T02:00:00Z", "FSCLUSTER1", "mixed"]
    assert "NO-GO" in lines[1] and "yes" in lines[1]
    assert main(["history", "show", "latest~1", "--history", f"sqlite:///{db}", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["id"], shown["verdict"], shown["findings"][0]["status"]) == (1, "GO", "pass")


def test_drift_defaults_to_the_last_two_runs_and_writes_html_pdf(tmp_path, make_scan, capsys):
    db = _history(tmp_path, make_scan)
    html, pdf = tmp_path / "d.html", tmp_path / "d.pdf"
    assert main(["history", "drift", "--history", str(db), "--html", str(html), "--pdf", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "verdict: GO → NO-GO" in out
    assert "DDP-003 N1:E:: pass → fail" in out
    assert "N1: 2012R2 6.3.9600.100 → 2016 10.0.14393.100" in out
    assert "DDP-003" in html.read_text()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "DDP-003" in text
    # explicit runs in either order read older → newer
    assert main(["history", "drift", "2", "1", "--history", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == {"before": "GO", "after": "NO-GO", "changed": True}


def test_drift_of_a_single_run_is_an_input_error(tmp_path, make_scan, capsys):
    db = tmp_path / "h.db"
    with HistoryStore.open(db) as store:
        result, facts, _, sha = make_scan()
        store.record(result, facts, sha)
    assert main(["history", "drift", "--history", str(db)]) == exitcodes.DATAERR
    assert "first recorded run of FSCLUSTER1; nothing to compare" in capsys.readouterr().err


def test_unknown_run_and_prune(tmp_path, make_scan, capsys):
    db = _history(tmp_path, make_scan)
    assert main(["history", "show", "9", "--history", str(db)]) == exitcodes.DATAERR
    assert "no run 9 in the history" in capsys.readouterr().err
    assert main(["history", "prune", "--keep", "1", "--history", str(db)]) == 0
    assert capsys.readouterr().out == "pruned 1 run\n"
    assert main(["history", "prune", "--history", str(db)]) == exitcodes.USAGE
