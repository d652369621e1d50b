"""The history on a real PostgreSQL server (tests/pg.py starts one): the same store, the same
migrations, several writers from several processes at once."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.errors import InputError, UsageError
from scanner.history import HistoryStore
from scanner.history.db import redacted, with_tls_default
from scanner.history.migrations import MIGRATIONS


def _rec(scan):
    result, facts, _, sha = scan
    return result, facts, sha, None


def test_record_list_show_drift_and_prune_on_postgresql(postgres_url, make_scan):
    with HistoryStore.open(postgres_url) as store:
        first = store.record(*_rec(make_scan(builds={"N1": 9600, "N2": 9600}, collected_at="2026-11-20T02:00:00Z")))
        second = store.record(*_rec(make_scan(
            verdict="NO-GO", builds={"N1": 14393, "N2": 9600}, collected_at="2026-11-21T02:00:00Z",
            findings=[("DDP-003", "N1:E:", "fail", "critical")])))
        other = store.record(*_rec(make_scan(cluster="B", collected_at="2026-11-22T02:00:00Z")))
        assert [r.id for r in store.runs()] == [other, second, first]
        run = store.get("latest", cluster="FSCLUSTER1")
        assert run.id == second and run.verdict == "NO-GO" and run.mixed_mode is True
        assert [(f.rule_id, f.status) for f in run.findings] == [("DDP-003", "fail")]
        assert [(n.name, n.build) for n in run.nodes] == [("N1", 14393), ("N2", 9600)]
        assert store.previous(run).id == first
        assert store.first_mixed_mode_seen("FSCLUSTER1").isoformat() == "2026-11-21T02:00:00+00:00"
        assert store.prune(keep=1) == 1
        assert sorted(r.id for r in store.runs()) == [second, other]


def test_migrations_are_recorded_and_a_newer_layout_is_refused(postgres_url):
    import psycopg

    HistoryStore.open(postgres_url).close()
    HistoryStore.open(postgres_url).close()  # a second open finds the layout current
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM rollready_layout").fetchall() == [(len(MIGRATIONS),)]
        conn.execute("UPDATE rollready_layout SET version = version + 1")
    with pytest.raises(InputError, match="newer than this rollready"):
        HistoryStore.open(postgres_url)


def test_several_writers_on_several_processes_lose_nothing(postgres_url, make_scan, tmp_path):
    """Four processes record 15 runs each at once (the same cluster included, whose mixed-mode
    clock every write reads and updates)."""
    procs = []
    for worker in range(4):
        docs = []
        for i in range(15):
            builds = {"N1": 14393 if i % 2 else 9600, "N2": 9600}
            result, facts, _, sha = make_scan(cluster="SHARED" if worker % 2 else f"C{worker}", builds=builds,
                                              collected_at=f"2026-11-0{worker + 1}T00:{i:02d}:00Z",
                                              findings=[(f"R-{k}", f"N{k}", "pass", "high") for k in range(10)])
            docs.append([result, facts, sha])
        (tmp_path / f"docs{worker}.json").write_text(json.dumps(docs))
        procs.append([sys.executable, str(Path(__file__).with_name("record_many.py")), postgres_url,
                      str(tmp_path / f"docs{worker}.json")])
    running = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for cmd in procs]
    outcomes = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in running]
    assert outcomes == [(0, "")] * 4
    with HistoryStore.open(postgres_url) as store:
        runs = store.runs()
        assert len(runs) == 60 and len({r.id for r in runs}) == 60
        assert sorted({r.cluster for r in runs}) == ["C0", "C2", "SHARED"]
        latest = store.get("latest", cluster="SHARED")
        assert len(latest.findings) == 10
        # the newest SHARED scan (worker 3, i=14: N1 on 9600) is not mixed: the clock is closed
        assert latest.mixed_mode is False and store.first_mixed_mode_seen("SHARED") is None


def test_a_password_in_the_url_is_refused_and_never_shown():
    with pytest.raises(UsageError) as err:
        HistoryStore.open("postgresql://svc:hunter2@db.example/history")
    assert "hunter2" not in str(err.value) and "PGPASSWORD" in str(err.value)
    assert redacted("postgresql://svc:hunter2@db.example:5432/h") == "postgresql://svc:***@db.example:5432/h"


def test_tls_is_verified_by_default_off_this_host():
    assert with_tls_default("postgresql://svc@db.example/h") == "postgresql://svc@db.example/h?sslmode=verify-full"
    assert with_tls_default("postgresql://svc@db.example/h?sslmode=require") == "postgresql://svc@db.example/h?sslmode=require"
    assert with_tls_default("postgresql://svc@127.0.0.1:5432/h") == "postgresql://svc@127.0.0.1:5432/h"


def test_an_unreachable_server_is_one_clear_error(postgres_server):
    with pytest.raises(InputError, match="cannot open history database") as err:
        HistoryStore.open(f"postgresql://nobody@127.0.0.1:{postgres_server.port}/no_such_db")
    assert err.value.problems[0].file.startswith("postgresql://nobody@127.0.0.1")


def test_a_writer_waits_for_the_lock_a_hung_writer_holds_only_so_long(postgres_url, make_scan, monkeypatch):
    """Another rollready holding the writers' lock (hung mid-transaction) made every later write wait
    for ever; now the wait ends at lock_timeout with one database error (the scan then goes on unrecorded)."""
    import time

    import psycopg

    from scanner.history import db

    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 1.0)
    HistoryStore.open(postgres_url).close()  # the layout exists, so opening takes no lock
    with psycopg.connect(postgres_url) as hung, ThreadPoolExecutor(1) as pool:  # a transaction left open
        hung.execute("SELECT pg_advisory_xact_lock(%s)", [db.PG_LOCK_KEY])
        with HistoryStore.open(postgres_url) as store:
            started = time.monotonic()
            waiting = pool.submit(store.record, *_rec(make_scan()))
            try:
                with pytest.raises(db.DatabaseError, match="lock timeout"):
                    waiting.result(timeout=20)  # the old code waited until the lock was released
            finally:
                hung.rollback()
            assert time.monotonic() - started < 10


def test_the_session_gets_its_timeouts_and_keepalives_unless_the_url_sets_them(postgres_url):
    with HistoryStore.open(postgres_url) as store:
        conn = store._db._conn
        assert conn.execute("SHOW lock_timeout").fetchone()["lock_timeout"] == "30s"
        assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "2min"
        assert conn.info.get_parameters()["keepalives_idle"] == "30"
    with HistoryStore.open(postgres_url + "?keepalives_idle=7") as store:
        assert store._db._conn.info.get_parameters()["keepalives_idle"] == "7"
