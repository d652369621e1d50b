from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner.errors import InputError, UsageError
from scanner.history import HistoryStore
from scanner.history.migrations import MIGRATIONS
from scanner.history.db import default_location, resolve_location


def test_record_then_show_round_trips_the_run(tmp_path, make_scan):
    result, facts, _, sha = make_scan(
        verdict="NO-GO", findings=[("DDP-003", "N1:E:", "fail", "critical"), ("CLU-001", "cluster", "pass", "critical")])
    with HistoryStore.open(tmp_path / "h.db") as store:
        run_id = store.record(result, facts, sha, str(tmp_path / "run1"))
        run = store.get(run_id)
    assert run.cluster == "FSCLUSTER1"
    assert run.verdict == "NO-GO" and run.exit_code == 2
    assert run.scanned_at == datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    assert run.facts_sha256 == sha
    assert run.inventory == "lab.yaml" and run.phase == "pre"
    assert run.report_dir == str(tmp_path / "run1")
    assert [(f.rule_id, f.subject, f.status, f.severity) for f in run.findings] == [
        ("CLU-001", "cluster", "pass", "critical"), ("DDP-003", "N1:E:", "fail", "critical")]
    assert [(n.name, n.build, n.release) for n in run.nodes] == [("N1", 9600, "2012R2"), ("N2", 9600, "2012R2")]
    assert run.mixed_mode is False


def test_runs_are_listed_newest_first_and_latest_resolves(tmp_path, make_scan):
    with HistoryStore.open(tmp_path / "h.db") as store:
        ids = [store.record(*_rec(make_scan(collected_at=f"2026-11-2{d}T02:00:00Z"))) for d in (1, 3, 2)]
        assert [r.id for r in store.runs()] == [ids[1], ids[2], ids[0]]
        assert store.resolve("latest") == ids[1]
        assert store.resolve("latest~2") == ids[0]
        assert store.previous(store.get(ids[1])).id == ids[2]
        with pytest.raises(InputError, match="no run latest~3"):
            store.resolve("latest~3")
        with pytest.raises(UsageError):
            store.resolve("yesterday")


def test_runs_filter_by_cluster(tmp_path, make_scan):
    with HistoryStore.open(tmp_path / "h.db") as store:
        store.record(*_rec(make_scan(cluster="A")))
        b = store.record(*_rec(make_scan(cluster="B")))
        assert [r.id for r in store.runs(cluster="B")] == [b]
        assert store.resolve("latest", cluster="A") != b


def test_a_result_without_verdict_is_refused_with_a_pointer(tmp_path, make_scan):
    result, facts, _, sha = make_scan()
    del result["verdict"]
    with HistoryStore.open(tmp_path / "h.db") as store, pytest.raises(InputError) as err:
        store.record(result, facts, sha)
    assert err.value.problems[0].pointer == "/verdict/status"


@pytest.mark.parametrize("url", ["postgres://[::1", "postgresql://svc:s3cret@127.0.0.1:99999/db", "sqlite://:99999/x"])
def test_a_url_that_does_not_parse_is_a_usage_error_that_does_not_echo_it(url):
    """They ended as internal errors (ValueError from urllib) while the password check read the port."""
    with pytest.raises(UsageError, match="history location is not a valid URL") as info:
        resolve_location(url)
    assert "s3cret" not in str(info.value)


def test_location_default_env_and_url(tmp_path, monkeypatch):
    monkeypatch.delenv("ROLLREADY_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_location() == tmp_path / "xdg" / "rollready" / "history.db"
    assert resolve_location(None) == tmp_path / "xdg" / "rollready" / "history.db"
    monkeypatch.setenv("ROLLREADY_HISTORY", str(tmp_path / "env.db"))
    assert resolve_location(None) == tmp_path / "env.db"
    assert resolve_location(f"sqlite:///{tmp_path}/u%20rl.db") == tmp_path / "u rl.db"  # 4 slashes: absolute
    assert resolve_location("sqlite:///rel/h.db") == Path("rel/h.db")
    assert resolve_location("postgresql://svc@db.example/history") == "postgresql://svc@db.example/history"
    with pytest.raises(UsageError, match="only sqlite"):
        resolve_location("mysql://db/history")


def test_database_is_wal_and_migrated(tmp_path):
    HistoryStore.open(tmp_path / "h.db").close()
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_newer_database_layout_is_refused(tmp_path):
    HistoryStore.open(tmp_path / "h.db").close()
    conn = sqlite3.connect(tmp_path / "h.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="newer than this rollready"):
        HistoryStore.open(tmp_path / "h.db")


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    (tmp_path / "h.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="cannot open history database"):
        HistoryStore.open(tmp_path / "h.db")


def test_prune_keeps_newest_n_per_cluster(tmp_path, make_scan):
    with HistoryStore.open(tmp_path / "h.db") as store:
        for day in range(1, 6):
            store.record(*_rec(make_scan(cluster="A", collected_at=f"2026-11-0{day}T02:00:00Z")))
        store.record(*_rec(make_scan(cluster="B", collected_at="2026-10-01T02:00:00Z")))
        assert store.prune(keep=2) == 3
        assert [r.scanned_at.day for r in store.runs(cluster="A")] == [5, 4]
        assert len(store.runs(cluster="B")) == 1  # the newest run of a cluster always survives


def test_prune_by_age_keeps_recent_and_the_newest(tmp_path, make_scan):
    now = datetime(2026, 11, 10, tzinfo=timezone.utc)
    with HistoryStore.open(tmp_path / "h.db") as store:
        for day in (1, 2, 8, 9):
            store.record(*_rec(make_scan(cluster="A", collected_at=f"2026-11-0{day}T02:00:00Z")))
        store.record(*_rec(make_scan(cluster="B", collected_at="2026-01-01T02:00:00Z")))
        assert store.prune(keep_days=3, now=now) == 2
        assert [r.scanned_at.day for r in store.runs(cluster="A")] == [9, 8]
        assert len(store.runs(cluster="B")) == 1
        # both rules: a run survives if either keeps it
        assert store.prune(keep=1, keep_days=3, now=now) == 0


def test_prune_removes_findings_and_nodes_of_deleted_runs(tmp_path, make_scan):
    with HistoryStore.open(tmp_path / "h.db") as store:
        store.record(*_rec(make_scan(collected_at="2026-11-01T02:00:00Z")))
        store.record(*_rec(make_scan(collected_at="2026-11-02T02:00:00Z")))
        store.prune(keep=1)
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM nodes").fetchone()[0] == 2


def test_prune_needs_a_rule(tmp_path):
    with HistoryStore.open(tmp_path / "h.db") as store, pytest.raises(UsageError):
        store.prune()


def test_two_processes_writing_at_once_lose_nothing(tmp_path, make_scan):
    path = tmp_path / "h.db"
    HistoryStore.open(path).close()
    procs = []
    for worker in (1, 2):
        docs = []
        for i in range(40):
            result, facts, _, sha = make_scan(
                cluster=f"C{worker}", collected_at=f"2026-11-01T{i // 60:02d}:{i % 60:02d}:00Z",
                findings=[(f"R-{k}", f"N{k}", "pass", "high") for k in range(20)])
            docs.append([result, facts, sha])
        (tmp_path / f"docs{worker}.json").write_text(json.dumps(docs))
        procs.append([sys.executable, str(Path(__file__).with_name("record_many.py")),
                      str(path), str(tmp_path / f"docs{worker}.json")])
    running = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for cmd in procs]
    outcomes = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in running]
    assert outcomes == [(0, ""), (0, "")]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT cluster, COUNT(*) FROM runs GROUP BY cluster ORDER BY cluster").fetchall() == [
        ("C1", 40), ("C2", 40)]
    assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 80 * 20


def _rec(scan):
    result, facts, _, sha = scan
    return result, facts, sha, None
