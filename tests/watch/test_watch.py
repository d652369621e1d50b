"""rollready watch: the light script through the real pypsrp client against the lab, alerts and their record."""
from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timedelta, timezone

import pytest
from pwsh_syntax import powershell_errors

from scanner import paths
from scanner.cli import main, watch_cmd
from scanner.lab import PASSWORD_ENV, load_scenario
from scanner.lab.evolve import apply
from scanner.lab.lab import watch_document
from scanner.watch import evaluate, watch_script
from tests.collect.conftest import LAB_PASSWORD, lab_inventory_file, start_lab

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
MIXED = load_scenario(paths.SCENARIOS_DIR / "mixed-dedup-hazard.yaml")
EXAMPLE = paths.EXAMPLES_DIR / "mixed-dedup-hazard.json"


def kinds(alerts):
    return sorted((a.kind, a.subject) for a in alerts)


def test_the_light_script_parses_and_is_read_only():
    text = watch_script()
    assert powershell_errors(text) == []
    for verb in ("Set-", "Remove-", "Move-", "Suspend-", "Resume-", "Update-", "Stop-", "Start-"):
        assert verb not in text


def test_dedup_that_may_move_between_releases_alerts_and_restricted_owners_do_not():
    view = watch_document(MIXED)
    assert kinds(evaluate(view, {"Cluster Disk 1"}, planned_end=None, mixed_since=None, now=NOW)) == [
        ("dedup-may-move", "Cluster Disk 1")]
    restricted = watch_document(apply(MIXED, ("owners", "Cluster Disk 1", "NODE1")))
    assert evaluate(restricted, {"Cluster Disk 1"}, planned_end=None, mixed_since=None, now=NOW) == []
    assert evaluate(view, set(), planned_end=None, mixed_since=None, now=NOW) == []  # not deduplicated: no alert


def test_a_dedup_volume_back_on_an_older_node_alerts():
    moved = apply(apply(MIXED, ("owners", "Cluster Disk 1", "NODE2")), ("move", "FS1", "NODE2"))
    alerts = evaluate(watch_document(moved), {"Cluster Disk 1"}, planned_end=None, mixed_since=None, now=NOW)
    assert kinds(alerts) == [("dedup-owner", "Cluster Disk 1")]
    assert "owned by NODE2 (2012R2) while members run 2016" in alerts[0].message


def test_node_state_and_overdue_mixed_mode():
    drained = watch_document(apply(apply(MIXED, ("owners", "Cluster Disk 1", "NODE1")), ("drain", "NODE3")))
    alerts = evaluate(drained, {"Cluster Disk 1"}, planned_end=NOW - timedelta(days=1),
                      mixed_since=NOW - timedelta(days=30), now=NOW)
    assert kinds(alerts) == [("mixed-overdue", "FSCLUSTER1"), ("node-state", "NODE3")]
    assert "since 2026-11-01" in next(a.message for a in alerts if a.kind == "mixed-overdue")


def test_watch_over_the_lab_alerts_notifies_and_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    notified = tmp_path / "notified.txt"
    hook = tmp_path / "hook.py"
    hook.write_text("import sys\nopen(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')\n")
    history = tmp_path / "h.db"
    with start_lab(MIXED).running() as lab:
        code = main(["watch", "-i", str(lab_inventory_file(lab, tmp_path, read_timeout=10, retries=0)), "--once", "--facts", str(EXAMPLE),
                     "--history", str(history), "--notify-cmd", f"{sys.executable} {hook} {notified}"])
    out = capsys.readouterr().out
    assert code == watch_cmd.EXIT_ALERTS
    assert "ALERT dedup-may-move: deduplicated volume Cluster Disk 1 may move between releases" in out
    rows = sqlite3.connect(history).execute("SELECT cluster, kind, subject FROM alerts").fetchall()
    assert rows == [("FSCLUSTER1", "dedup-may-move", "Cluster Disk 1")]
    assert notified.read_text().startswith("ALERT ")


def test_watch_raises_an_alert_once_and_says_when_it_clears(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    history = tmp_path / "h.db"
    with start_lab(MIXED).running() as lab:
        fixes = iter([("owners", "Cluster Disk 1", "NODE1")])
        monkeypatch.setattr(watch_cmd.time, "sleep", lambda s: setattr(lab, "scenario", apply(lab.scenario, next(fixes))))
        code = main(["watch", "-i", str(lab_inventory_file(lab, tmp_path, read_timeout=10, retries=0)), "--count", "2", "--every", "10s",
                     "--dedup", "Cluster Disk 1", "--history", str(history)])
    out = capsys.readouterr().out
    assert code == watch_cmd.EXIT_ALERTS
    assert out.count("ALERT dedup-may-move") == 1
    assert "cleared: dedup-may-move Cluster Disk 1" in out and "FSCLUSTER1: nothing to report" in out


def test_no_node_answering_is_an_alert_not_a_crash(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    down = load_scenario(paths.SCENARIOS_DIR / "mixed-dedup-hazard.yaml")
    with start_lab(down).running() as lab:
        inventory = lab_inventory_file(lab, tmp_path, read_timeout=10, retries=0)
    code = main(["watch", "-i", str(inventory), "--once", "--history", str(tmp_path / "h.db")])
    out = capsys.readouterr().out
    assert code == watch_cmd.EXIT_ALERTS and "ALERT unreachable: no node answered: NODE1: connection" in out


@pytest.mark.parametrize("every", ["5s", "0m", "soon"])
def test_short_or_bad_intervals_are_refused(every, capsys):
    assert main(["watch", "-i", "x.yaml", "--every", every]) == 64
    assert "at least 10s" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_alerts_are_kept_in_either_history_backend(backend, tmp_path, request):
    from scanner.history import HistoryStore

    location = str(tmp_path / "h.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    with HistoryStore.open(location) as store:
        store.record_alert("FSCLUSTER1", "node-state", "NODE3", "node NODE3 is Paused, not Up", NOW)
        store.record_alert("FSCLUSTER1", "dedup-may-move", "Cluster Disk 1", "may move", NOW + timedelta(minutes=5))
        store.record_alert("OTHER", "node-state", "N1", "node N1 is Down, not Up", NOW)
        got = store.alerts("FSCLUSTER1")
    assert [(a["kind"], a["subject"], a["raised_at"]) for a in got] == [
        ("dedup-may-move", "Cluster Disk 1", "2026-12-01T12:05:00Z"), ("node-state", "NODE3", "2026-12-01T12:00:00Z")]
