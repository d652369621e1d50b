"""The history database layout, as an append-only list of migrations.

`PRAGMA user_version` holds how many migrations a database has had. Never edit a shipped
migration: add a new one at the end.
"""
from __future__ import annotations

import sqlite3

from scanner.errors import InputError, Problem

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
)


def migrate(conn: sqlite3.Connection, location: str) -> None:
    """Bring the database up to the newest layout; concurrent openers serialise on the write lock."""
    if _version(conn) == len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)  # re-read under the lock: another process may have migrated
        if version > len(MIGRATIONS):
            raise InputError([Problem(
                f"history database has layout {version}, newer than this rollready knows "
                f"({len(MIGRATIONS)}); upgrade rollready or use another --history",
                file=location,
            )])
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
