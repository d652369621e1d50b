"""History store speed: recording runs with many findings, listing, loading and drifting two runs.

    .venv/bin/python bench/history.py [RUNS] [FINDINGS]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from scanner.history import HistoryStore, compute_drift


def scan(i: int, findings: int) -> tuple[dict, dict]:
    facts = {"schema_version": "1", "cluster": {"name": "FSCLUSTER1"},
             "scan": {"collected_at": f"2026-11-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z"},
             "nodes": [{"name": f"N{n}", "reachable": True, "os": {"build": 9600}}
                       for n in range(4)]}
    result = {"cluster": {"name": "FSCLUSTER1"}, "verdict": {"status": "GO", "exit_code": 0},
              "findings": [{"rule_id": f"R-{k % 80:03d}", "subject": f"N{k % 4}:{k}", "severity": "high",
                            "status": "fail" if (k + i) % 50 == 0 else "pass", "title": "t", "message": "m" * 80}
                           for k in range(findings)]}
    return result, facts


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    findings = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore.open(Path(tmp) / "h.db")
        docs = [scan(i, findings) for i in range(runs)]
        t0 = time.perf_counter()
        for result, facts in docs:
            store.record(result, facts, "0" * 64)
        t1 = time.perf_counter()
        listed = store.runs(limit=50)
        t2 = time.perf_counter()
        a, b = store.get("latest~1"), store.get("latest")
        t3 = time.perf_counter()
        drift = compute_drift(a, b)
        t4 = time.perf_counter()
        size = (Path(tmp) / "h.db").stat().st_size + (Path(tmp) / "h.db-wal").stat().st_size
        store.close()
    print(f"{runs} runs x {findings} findings: record {1000 * (t1 - t0) / runs:.2f} ms/run, "
          f"list 50 {1000 * (t2 - t1):.2f} ms, load 2 runs {1000 * (t3 - t2):.2f} ms, "
          f"drift {1000 * (t4 - t3):.2f} ms ({len(drift.new_problems)} new, {len(drift.resolved)} resolved), "
          f"db {size / 1e6:.1f} MB")
