"""The history database layout, as an append-only list of migrations, the same for SQLite and
PostgreSQL (Database.ddl translates the one DDL phrase that differs).

The layout version (how many migrations a database has had) is `PRAGMA user_version` in SQLite and
the table rollready_layout in PostgreSQL. Never edit a shipped migration: add a new one at the end.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.errors import InputError, Problem

if TYPE_CHECKING:
    from scanner.history.db import Database

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scanned_at TEXT NOT NULL,          -- facts scan.collected_at, UTC ISO with Z
            recorded_at TEXT NOT NULL,
            cluster TEXT NOT NULL,
            inventory TEXT,
            phase TEXT,
            source_os TEXT,
            target_os TEXT,
            verdict TEXT NOT NULL,
            verdict_reason TEXT,
            exit_code INTEGER,
            facts_sha256 TEXT NOT NULL,
            rule_pack_sha256 TEXT,
            tool_version TEXT,
            mixed_mode INTEGER,                -- 1 mixed, 0 not mixed, NULL unknown
            report_dir TEXT,
            counts_json TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX runs_cluster_time ON runs (cluster, scanned_at)",
        """CREATE TABLE findings (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            node TEXT,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX findings_run ON findings (run_id)",
        """CREATE TABLE nodes (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            reachable INTEGER,
            caption TEXT,
            build INTEGER,
            full_version TEXT,
            release TEXT
        )""",
        "CREATE INDEX nodes_run ON nodes (run_id)",
        # Kept apart from runs so that retention never loses when mixed mode began.
        """CREATE TABLE clusters (
            name TEXT PRIMARY KEY,
            mixed_since TEXT,                  -- start of the current mixed-mode window
            last_scanned_at TEXT NOT NULL
        )""",
    ),
    (  # 2: alerts raised by `rollready watch` between full scans
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            raised_at TEXT NOT NULL,           -- UTC ISO with Z
            cluster TEXT NOT NULL,
            kind TEXT NOT NULL,                -- dedup-owner | dedup-may-move | node-state | mixed-overdue
            subject TEXT NOT NULL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX alerts_cluster ON alerts (cluster, raised_at)",
    ),
)


def migrate(db: Database) -> None:
    """Bring the database up to the newest layout; concurrent openers serialise on the write lock
    (and re-read the version under it: another scanner may have migrated meanwhile)."""
    if db.version() == len(MIGRATIONS):
        return
    with db.write():
        version = db.version()
        if version > len(MIGRATIONS):
            raise InputError([Problem(
                f"history database has layout {version}, newer than this rollready knows "
                f"({len(MIGRATIONS)}); upgrade rollready or use another history location",
                file=db.location,
            )])
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number]:
                db.execute(db.ddl(statement))
        db.set_version(len(MIGRATIONS))
