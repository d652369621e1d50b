"""HistoryStore: every scan as one row, with its findings and node OS builds, in SQLite (default)
or PostgreSQL (shared by several scanner hosts); scanner/history/db.py holds what differs.

Every write is one serialised transaction, so several processes (a scheduled run and an
operator's run, or scanners on several hosts) can record at the same time without losing a run.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scanner.errors import InputError, Problem, UsageError
from scanner.facts.model import FactsDoc
from scanner.history.db import Database, Row, StorageError, connect
from scanner.history.migrations import migrate
from scanner.history.mixed_mode import facts_mixed_mode
from scanner.times import format_utc, parse_utc, utc_now

__all__ = ["RECOVERY_HINT", "FindingRecord", "HistoryStore", "NodeRecord", "RunRecord", "StorageError"]

RECOVERY_HINT = "`rollready history check` says how to recover"


@dataclass(frozen=True)
class FindingRecord:
    rule_id: str
    subject: str
    status: str
    severity: str
    node: str | None = None
    title: str = ""
    message: str = ""


@dataclass(frozen=True)
class NodeRecord:
    name: str
    reachable: bool | None
    build: int | None = None
    full_version: str | None = None
    release: str | None = None
    caption: str | None = None

    @property
    def os_label(self) -> str:
        """What an operator recognises: release and full version, or what is known of them."""
        if self.reachable is False and self.build is None:
            return "unreachable"
        parts = [p for p in (self.release, self.full_version or (str(self.build) if self.build else None)) if p]
        return " ".join(parts) or "unknown"


@dataclass(frozen=True)
class RunRecord:
    """One recorded scan; findings and nodes are filled only by HistoryStore.get()."""

    id: int
    scanned_at: datetime
    recorded_at: datetime
    cluster: str
    inventory: str | None
    phase: str | None
    source_os: str | None
    target_os: str | None
    verdict: str
    verdict_reason: str | None
    exit_code: int | None
    facts_sha256: str
    rule_pack_sha256: str | None
    tool_version: str | None
    mixed_mode: bool | None
    report_dir: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: tuple[FindingRecord, ...] = ()
    nodes: tuple[NodeRecord, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "scanned_at": format_utc(self.scanned_at),
            "recorded_at": format_utc(self.recorded_at), "cluster": self.cluster,
            "inventory": self.inventory, "phase": self.phase, "source_os": self.source_os,
            "target_os": self.target_os, "verdict": self.verdict, "verdict_reason": self.verdict_reason,
            "exit_code": self.exit_code, "facts_sha256": self.facts_sha256,
            "rule_pack_sha256": self.rule_pack_sha256, "tool_version": self.tool_version,
            "mixed_mode": self.mixed_mode, "report_dir": self.report_dir, "counts": self.counts,
            "findings": [vars(f) for f in self.findings],
            "nodes": [vars(n) for n in self.nodes],
        }


class HistoryStore:
    """The scan history of any number of clusters in one database."""

    def __init__(self, db: Database):
        self._db = db
        self.location = db.location  # a path, or a URL without password

    @classmethod
    def open(cls, path_or_url: str | os.PathLike[str] | None = None) -> HistoryStore:
        """A path or sqlite:/// URL (default $ROLLREADY_HISTORY or the XDG data folder), or
        postgresql://USER@HOST[:PORT]/DB; migrated to the newest layout on open."""
        db = connect(path_or_url)
        errors: tuple[type[Exception], ...] = (*db.errors, *StorageError)
        try:
            migrate(db)
        except InputError:
            db.close()
            raise
        except errors as exc:
            db.close()
            raise InputError([Problem(f"cannot open history database: {exc}", file=db.location)]) from exc
        return cls(db)

    @classmethod
    def open_for_scan(cls, path_or_url: str | os.PathLike[str] | None = None) -> tuple[HistoryStore | None, str | None]:
        """The store, or None and why: the history never blocks a scan (the scan goes on unrecorded).
        A bad --history value is still a usage error."""
        try:
            return cls.open(path_or_url), None
        except InputError as exc:
            return None, exc.problems[0].render()

    @staticmethod
    def set_aside(location: Path, now: datetime | None = None) -> Path:
        """Rename a damaged SQLite database (and its WAL/SHM companions) to FILE.damaged-<UTC time>:
        kept for whoever wants to salvage it; the next open creates an empty history in its place."""
        stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
        target = location.with_name(f"{location.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = location.with_name(location.name + suffix)
            if source.exists():
                source.rename(target.with_name(target.name + suffix))
        return target

    def check(self) -> list[str]:
        """What the database's integrity check finds wrong (empty: sound)."""
        return self._db.check()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recording ---------------------------------------------------------------------------

    def record(self, result: dict[str, Any], facts: FactsDoc, facts_sha256: str,
               report_dir: str | os.PathLike[str] | None = None) -> int:
        """Record one scan (result document + facts document); returns the new run id."""
        run = _run_row(result, facts, facts_sha256, report_dir)
        findings = [_finding_row(f) for f in result.get("findings") or []]
        nodes = _node_rows(result, facts)
        with self._db.write():
            run_id = self._db.insert(
                "INSERT INTO runs (scanned_at, recorded_at, cluster, inventory, phase, source_os, target_os,"
                " verdict, verdict_reason, exit_code, facts_sha256, rule_pack_sha256, tool_version,"
                " mixed_mode, report_dir, counts_json)"
                " VALUES (:scanned_at, :recorded_at, :cluster, :inventory, :phase, :source_os, :target_os,"
                " :verdict, :verdict_reason, :exit_code, :facts_sha256, :rule_pack_sha256, :tool_version,"
                " :mixed_mode, :report_dir, :counts_json)", run)
            self._db.executemany(
                "INSERT INTO findings (run_id, rule_id, subject, node, status, severity, title, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, *row) for row in findings])
            self._db.executemany(
                "INSERT INTO nodes (run_id, name, reachable, caption, build, full_version, release)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", [(run_id, *row) for row in nodes])
            _advance_mixed_mode(self._db, run["cluster"], run["scanned_at"], run["mixed_mode"])
        return run_id

    def record_alert(self, cluster: str, kind: str, subject: str, message: str, raised_at: datetime) -> int:
        """One alert of `rollready watch`; returns its id."""
        with self._db.write():
            return self._db.insert(
                "INSERT INTO alerts (raised_at, cluster, kind, subject, message)"
                " VALUES (:raised_at, :cluster, :kind, :subject, :message)",
                {"raised_at": format_utc(raised_at), "cluster": cluster, "kind": kind, "subject": subject,
                 "message": message})

    def alerts(self, cluster: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Watch alerts, newest first."""
        sql, params = "SELECT id, raised_at, cluster, kind, subject, message FROM alerts", []
        if cluster is not None:
            sql, params = sql + " WHERE cluster = ?", [cluster]
        rows = self._query(sql + " ORDER BY raised_at DESC, id DESC LIMIT ?", [*params, limit])
        return [{key: row[key] for key in ("id", "raised_at", "cluster", "kind", "subject", "message")} for row in rows]

    # -- reading -----------------------------------------------------------------------------

    def runs(self, cluster: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Run summaries, newest first."""
        sql = "SELECT * FROM runs"
        params: list[Any] = []
        if cluster is not None:
            sql += " WHERE cluster = ?"
            params.append(cluster)
        sql += " ORDER BY scanned_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_run_record(row) for row in self._query(sql, params)]

    def clusters(self) -> list[str]:
        """Every cluster with a recorded run, by name."""
        return [row["cluster"] for row in self._query("SELECT DISTINCT cluster FROM runs ORDER BY cluster", [])]

    def get(self, run: int | str, cluster: str | None = None) -> RunRecord:
        """One run with its findings and nodes; run is an id, `latest` or `latest~N`."""
        run_id = self.resolve(run, cluster)
        rows = self._query("SELECT * FROM runs WHERE id = ?", [run_id])
        if not rows:
            raise InputError([Problem(f"no run {run} in the history", file=str(self.location))])
        findings = tuple(
            FindingRecord(rule_id=r["rule_id"], subject=r["subject"], status=r["status"],
                          severity=r["severity"], node=r["node"], title=r["title"], message=r["message"])
            for r in self._query("SELECT * FROM findings WHERE run_id = ? ORDER BY rule_id, subject", [run_id]))
        nodes = tuple(
            NodeRecord(name=r["name"], reachable=None if r["reachable"] is None else bool(r["reachable"]),
                       build=r["build"], full_version=r["full_version"], release=r["release"],
                       caption=r["caption"])
            for r in self._query("SELECT * FROM nodes WHERE run_id = ? ORDER BY name", [run_id]))
        base = _run_record(rows[0])
        return RunRecord(**{**vars(base), "findings": findings, "nodes": nodes})

    def resolve(self, run: int | str, cluster: str | None = None) -> int:
        """Turn `17`, `latest` or `latest~2` (two before the latest) into a run id."""
        text = str(run).strip()
        if text.isdigit():
            return int(text)
        back = 0
        if text.startswith("latest~") and text[len("latest~"):].isdigit():
            back = int(text[len("latest~"):])
        elif text != "latest":
            raise UsageError(f"run {text!r}: give a run id, `latest` or `latest~N`")
        found = self.runs(cluster=cluster, limit=back + 1)
        if len(found) <= back:
            where = f" of cluster {cluster}" if cluster else ""
            raise InputError([Problem(f"no run {text}{where} in the history", file=str(self.location))])
        return found[back].id

    def previous(self, run: RunRecord) -> RunRecord | None:
        """The run of the same cluster recorded just before this one."""
        rows = self._query(
            "SELECT * FROM runs WHERE cluster = ? AND (scanned_at < ? OR (scanned_at = ? AND id < ?))"
            " ORDER BY scanned_at DESC, id DESC LIMIT 1",
            [run.cluster, format_utc(run.scanned_at), format_utc(run.scanned_at), run.id])
        return _run_record(rows[0]) if rows else None

    def first_mixed_mode_seen(self, cluster_name: str) -> datetime | None:
        """When the current mixed-mode window of this cluster began, per the history; None if not mixed."""
        rows = self._query("SELECT mixed_since FROM clusters WHERE name = ?", [cluster_name])
        return parse_utc(rows[0]["mixed_since"]) if rows and rows[0]["mixed_since"] else None

    # -- retention ---------------------------------------------------------------------------

    def prune(self, keep: int | None = None, keep_days: float | None = None,
              now: datetime | None = None) -> int:
        """Delete runs no keep rule holds; returns how many were deleted.

        A run survives if it is among the newest `keep` of its cluster, or newer than
        `keep_days`. The newest run of each cluster always survives, and so does the
        mixed-mode clock (it lives apart from the runs).
        """
        if keep is None and keep_days is None:
            raise UsageError("prune needs a number of runs to keep and/or a number of days")
        if keep is not None and keep < 1:
            raise UsageError("the runs to keep must be at least 1 (the newest run of each cluster is always kept)")
        if keep_days is not None and keep_days < 0:
            raise UsageError("the days to keep must not be negative")
        cutoff = format_utc((now or utc_now()) - timedelta(days=keep_days)) if keep_days is not None else None
        newest = keep or 1
        with self._db.write():
            doomed = [row["id"] for row in self._db.query(
                "SELECT id, scanned_at FROM (SELECT id, scanned_at, ROW_NUMBER() OVER ("
                " PARTITION BY cluster ORDER BY scanned_at DESC, id DESC) AS pos FROM runs) AS ranked"
                " WHERE pos > ?", [newest])
                if cutoff is None or row["scanned_at"] < cutoff]
            self._db.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in doomed])
        return len(doomed)

    def _query(self, sql: str, params: list[Any]) -> list[Row]:
        return self._db.query(sql, params)


# -- rows from documents ---------------------------------------------------------------------

def _run_row(result: dict[str, Any], facts: FactsDoc, facts_sha256: str,
             report_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    scan = {**(facts.get("scan") or {}), **(result.get("scan") or {})}
    cluster = (result.get("cluster") or {}).get("name") or (facts.get("cluster") or {}).get("name")
    verdict = result.get("verdict") or {}
    if not cluster or not verdict.get("status"):
        raise InputError([Problem("result document has no cluster name or no verdict; cannot record it",
                                  pointer="/verdict/status" if cluster else "/cluster/name")])
    when = scan.get("collected_at") or result.get("generated_at")
    try:
        scanned_at = format_utc(parse_utc(when)) if when else format_utc(utc_now())
    except ValueError as exc:
        raise InputError([Problem(f"scan time {when!r} is not ISO 8601: {exc}",
                                  pointer="/scan/collected_at")]) from exc
    summary = result.get("cluster") or {}
    # The evaluation's own answer when the result carries it: the cluster view is built once per run.
    mixed = summary["mixed_mode"] if "mixed_mode" in summary else facts_mixed_mode(facts)
    return {
        "scanned_at": scanned_at,
        "recorded_at": format_utc(utc_now()),
        "cluster": cluster,
        "inventory": scan.get("inventory"),
        "phase": result.get("phase") or scan.get("phase"),
        "source_os": result.get("source_os") or scan.get("source_os"),
        "target_os": result.get("target_os") or scan.get("target_os"),
        "verdict": verdict["status"],
        "verdict_reason": verdict.get("reason"),
        "exit_code": verdict.get("exit_code"),
        "facts_sha256": facts_sha256,
        "rule_pack_sha256": (result.get("rule_pack") or {}).get("sha256"),
        "tool_version": (result.get("tool") or {}).get("version") or scan.get("tool_version"),
        "mixed_mode": None if mixed is None else int(mixed),
        "report_dir": os.fspath(report_dir) if report_dir is not None else None,
        "counts_json": json.dumps(verdict.get("counts") or {}, sort_keys=True),
    }


def _finding_row(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f.get("rule_id", "?"), f.get("subject", ""), f.get("node"), f.get("status", "unknown"),
            f.get("severity", "info"), f.get("title") or "", f.get("message") or "")


def _node_rows(result: dict[str, Any], facts: FactsDoc) -> list[tuple[Any, ...]]:
    """Node OS builds from the facts; the result's node summary where the facts have none."""
    rows: dict[str, tuple[Any, ...]] = {}
    for node in (result.get("cluster") or {}).get("nodes") or []:
        rows[node["name"]] = (node["name"], _bool_int(node.get("reachable")), node.get("os_caption"),
                              node.get("build"), node.get("os_version"), None)
    for node in facts.get("nodes") or []:
        os_facts = node.get("os") or {}
        rows[node["name"]] = (node["name"], _bool_int(node.get("reachable")), os_facts.get("caption"),
                              os_facts.get("build"), os_facts.get("full_version") or os_facts.get("version"),
                              os_facts.get("release"))
    return [rows[name] for name in sorted(rows)]


def _bool_int(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _advance_mixed_mode(db: Database, cluster: str, scanned_at: str, mixed: int | None) -> None:
    """Keep the start of the current mixed-mode window: set on entry, cleared on exit, unknown keeps it."""
    rows = db.query("SELECT mixed_since, last_scanned_at FROM clusters WHERE name = ?", [cluster])
    if not rows:
        db.execute("INSERT INTO clusters (name, mixed_since, last_scanned_at) VALUES (?, ?, ?)",
                     [cluster, scanned_at if mixed else None, scanned_at])
        return
    since, last = rows[0]["mixed_since"], rows[0]["last_scanned_at"]
    if scanned_at >= last:  # the newest scan decides whether the window is open
        if mixed == 1:
            since = since or scanned_at
        elif mixed == 0:
            since = None
        last = scanned_at
    elif mixed == 1 and since is not None:  # an older scan recorded late can only move the start back
        since = min(since, scanned_at)
    db.execute("UPDATE clusters SET mixed_since = ?, last_scanned_at = ? WHERE name = ?", [since, last, cluster])


def _run_record(row: Row) -> RunRecord:
    return RunRecord(
        id=row["id"], scanned_at=parse_utc(row["scanned_at"]), recorded_at=parse_utc(row["recorded_at"]),
        cluster=row["cluster"], inventory=row["inventory"], phase=row["phase"], source_os=row["source_os"],
        target_os=row["target_os"], verdict=row["verdict"], verdict_reason=row["verdict_reason"],
        exit_code=row["exit_code"], facts_sha256=row["facts_sha256"], rule_pack_sha256=row["rule_pack_sha256"],
        tool_version=row["tool_version"], mixed_mode=None if row["mixed_mode"] is None else bool(row["mixed_mode"]),
        report_dir=row["report_dir"], counts=json.loads(row["counts_json"] or "{}"),
    )
