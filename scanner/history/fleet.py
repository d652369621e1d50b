"""The fleet dashboard from the history: every cluster's latest run, the trend of its last runs,
its mixed-mode clock and the drift against its run before (`rollready history fleet`).

The rows are the fleet document's (schemas/fleet.schema.json, source "history"), so the same
template renders a fleet scan and this dashboard.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from scanner.history.drift import compute_drift
from scanner.history.store import HistoryStore, RunRecord
from scanner.report.fleet import deciding_finding, fleet_document
from scanner.times import format_utc, utc_now

DEFAULT_TREND = 10


def history_fleet(store: HistoryStore, *, last: int = DEFAULT_TREND, clusters: list[str] | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """The fleet document of the latest run of every cluster (or of those named). The mixed-mode
    age is counted to now: the window is still open as far as the history knows."""
    names = clusters or store.clusters()
    rows = [_row(store, name, last, now or utc_now()) for name in names]
    return fleet_document([r for r in rows if r is not None], source="history", inventory=None)


def _row(store: HistoryStore, cluster: str, last: int, now: datetime) -> dict[str, Any] | None:
    recent = store.runs(cluster=cluster, limit=max(1, last))
    if not recent:
        return None
    run = store.get(recent[0].id)
    previous = recent[1] if len(recent) > 1 else store.previous(run)
    since = store.first_mixed_mode_seen(cluster) if run.mixed_mode else None
    report_dir = run.report_dir.rstrip("/\\") if run.report_dir else None
    return {
        "name": run.cluster, "phase": run.phase, "source_os": run.source_os, "target_os": run.target_os,
        "verdict": run.verdict, "exit_code": run.exit_code if run.exit_code is not None else 3,
        "reason": run.verdict_reason or "",
        "nodes": {"total": len(run.nodes), "collected": sum(1 for n in run.nodes if n.reachable)},
        "mixed_mode": run.mixed_mode, "mixed_mode_since": format_utc(since) if since else None,
        "mixed_mode_days": round((now - since).total_seconds() / 86400, 1) if since else None,
        "deciding": deciding_finding(_as_result(run)),
        "report": f"{report_dir}/report.html" if report_dir else None,
        "findings": f"{report_dir}/findings.json" if report_dir else None,
        "partial": False,  # interrupted scans are never recorded
        "run_id": run.id, "scanned_at": format_utc(run.scanned_at),
        "trend": [r.verdict for r in reversed(recent)],
        "drift": _drift(store, previous, run),
    }


def _drift(store: HistoryStore, previous: RunRecord | None, run: RunRecord) -> dict[str, Any] | None:
    if previous is None:
        return None
    drift = compute_drift(store.get(previous.id), run)
    return {"previous_run": previous.id, "previous_verdict": previous.verdict,
            "new_problems": len(drift.new_problems), "resolved": len(drift.resolved),
            "node_changes": len(drift.node_changes)}


def _as_result(run: RunRecord) -> dict[str, Any]:
    """What deciding_finding reads, from a recorded run (the history keeps no `blocking` flag:
    findings are ranked by severity alone)."""
    return {"verdict": {"status": run.verdict},
            "findings": [{"rule_id": f.rule_id, "status": f.status, "severity": f.severity, "subject": f.subject,
                          "title": f.title} for f in run.findings]}
