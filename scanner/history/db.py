"""The history's two databases behind one small interface: SQLite (the embedded default) and
PostgreSQL (a history shared by several scanner hosts), through psycopg 3.

Why not SQLAlchemy Core: the store's SQL is a dozen plain statements that both databases read
alike; what differs is how writers are serialised (SQLite's `BEGIN IMMEDIATE` file lock, a
PostgreSQL transaction-level advisory lock), where the layout version lives (`PRAGMA user_version`,
a one-row table) and two DDL words, and an ORM layer would hide exactly those three things while
adding a large dependency. docs/history.md says more.
"""
from __future__ import annotations

import ipaddress
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse, urlunparse

from scanner.errors import InputError, Problem, UsageError
from scanner.hostpaths import user_data_dir

ENV_VAR = "ROLLREADY_HISTORY"
BUSY_TIMEOUT_S = 30.0
STATEMENT_TIMEOUT_S = 120.0  # a PostgreSQL statement (a write waits BUSY_TIMEOUT_S at most for the lock)
# libpq's TCP keepalives for a server that stops answering mid-statement (a dead host, a cut network):
# probed after 30 s idle, every 10 s, given up after 3 unanswered probes, unless the URL says otherwise.
PG_KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10", "keepalives_count": "3"}
# pg_advisory_xact_lock key shared by every rollready writer of a PostgreSQL history ("rollrdy").
PG_LOCK_KEY = 0x726F6C6C726479
PG_SCHEMES = ("postgresql", "postgres")
Params = Sequence[Any] | Mapping[str, Any]


class DatabaseError(Exception):
    """A PostgreSQL error after the history was opened (connection lost, server gone, disk full),
    translated at this boundary so callers need not import the driver."""


# What a damaged, locked, read-only, full or unreachable store raises once open.
StorageError: tuple[type[Exception], ...] = (sqlite3.Error, OSError, DatabaseError)


class Row(Protocol):
    def __getitem__(self, key: str) -> Any: ...


class Database(Protocol):
    """What HistoryStore needs of a database. SQL is written with `?` and `:name` placeholders."""

    location: str  # for messages: a path, or a URL without password
    errors: tuple[type[Exception], ...]  # the driver's error classes

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...
    def execute(self, sql: str, params: Params = ()) -> None: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def insert(self, sql: str, params: Params) -> int: ...  # returns the new row's id
    def write(self) -> Any: ...  # context manager: one serialised write transaction
    def version(self) -> int: ...
    def set_version(self, version: int) -> None: ...
    def ddl(self, statement: str) -> str: ...  # a migration statement in this database's dialect
    def check(self) -> list[str]: ...  # integrity problems found (empty: sound)
    def close(self) -> None: ...


def default_location() -> Path:
    """This user's history file (scanner.hostpaths: ~/.local/share/rollready on Linux, honouring
    XDG_DATA_HOME; %LOCALAPPDATA%\\rollready on Windows). ROLLREADY_HISTORY overrides it."""
    return user_data_dir() / "history.db"


def resolve_location(path_or_url: str | os.PathLike[str] | None) -> Path | str:
    """A SQLite path (from a path or a sqlite:/// URL), or a postgresql:// URL as given.

    sqlite:///rel/history.db is relative, sqlite:////abs/history.db absolute (as SQLAlchemy reads them).
    """
    if path_or_url is None:
        path_or_url = os.environ.get(ENV_VAR) or default_location()
    text = os.fspath(path_or_url)
    if "://" not in text:
        return Path(text).expanduser()
    try:
        url = urlparse(text)
        url.port  # noqa: B018  (parsed on first use: out of range raises here, not in a later message)
    except ValueError as exc:  # the URL is not echoed: it may hold a password that cannot be cut out
        raise UsageError(f"history location is not a valid URL ({exc}); e.g. postgresql://USER@HOST[:PORT]/DB "
                         "or sqlite:///PATH") from None
    if url.scheme in PG_SCHEMES:
        return text
    if url.scheme not in ("sqlite", "file"):
        raise UsageError(f"history location {text}: only sqlite:///PATH (sqlite:////ABS/PATH), plain paths and "
                         "postgresql://USER@HOST[:PORT]/DB are supported")
    if url.netloc not in ("", "localhost"):
        raise UsageError(f"history location {text}: a sqlite URL names a local file (sqlite:///PATH)")
    return Path(unquote(url.path)[1:]).expanduser()


def connect(path_or_url: str | os.PathLike[str] | None) -> Database:
    location = resolve_location(path_or_url)
    if isinstance(location, str):
        return PostgresDatabase.connect(location)
    return SqliteDatabase.connect(location)


# -- SQLite --------------------------------------------------------------------------------------

class SqliteDatabase:
    """WAL journal plus `BEGIN IMMEDIATE` for every write: several processes on one host can
    record at the same time without corrupting the file or losing a run."""

    errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)

    def __init__(self, conn: sqlite3.Connection, location: str) -> None:
        self._conn = conn
        self.location = location

    @classmethod
    def connect(cls, path: Path) -> SqliteDatabase:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise InputError([Problem(f"cannot open history database: {exc}", file=str(path))]) from exc
        except OSError as exc:
            raise InputError([Problem(f"cannot create history folder: {exc.strerror}", file=str(path))]) from exc
        return cls(conn, str(path))

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Params = ()) -> None:
        self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def insert(self, sql: str, params: Params) -> int:
        return int(self._conn.execute(sql, params).lastrowid or 0)

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction holding the database write lock from its first statement."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self._conn.execute(f"PRAGMA user_version = {int(version)}")

    def ddl(self, statement: str) -> str:
        return statement

    def check(self) -> list[str]:
        found = [str(r[0]) for r in self._conn.execute("PRAGMA integrity_check").fetchall()]
        return [] if found == ["ok"] else found

    def close(self) -> None:
        self._conn.close()


# -- PostgreSQL ----------------------------------------------------------------------------------

class PostgresDatabase:
    """Every write transaction first takes one transaction-level advisory lock, so writers on any
    number of hosts are serialised like SQLite's (the mixed-mode clock is a read-modify-write);
    readers never wait. The lock goes with the transaction, also when a client dies."""

    def __init__(self, conn: Any, location: str, errors: tuple[type[Exception], ...]) -> None:
        self._conn = conn
        self.location = location
        self.errors = errors

    @classmethod
    def connect(cls, url: str) -> PostgresDatabase:
        shown = redacted(url)
        parsed = urlparse(url)
        if parsed.password:
            raise UsageError(f"history location {shown}: a password in the URL would show in process lists and "
                             "logs; give it through PGPASSWORD or ~/.pgpass (libpq reads both)")
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError as exc:
            raise UsageError("a PostgreSQL history needs psycopg: pip install 'rollready[postgresql]'") from exc
        given = parse_qs(parsed.query)
        keepalives: dict[str, Any] = {key: value for key, value in PG_KEEPALIVES.items() if key not in given}
        try:
            conn = psycopg.connect(with_tls_default(url), autocommit=True, row_factory=dict_row,
                                   connect_timeout=int(BUSY_TIMEOUT_S), application_name="rollready", **keepalives)
            # Nothing waits for ever: not the writers' lock held by a hung scanner, not a stuck statement.
            conn.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute(f"SET statement_timeout = {int(STATEMENT_TIMEOUT_S * 1000)}")
        except psycopg.Error as exc:
            raise InputError([Problem(f"cannot open history database: {_one_line(exc)}", file=shown)]) from exc
        return cls(conn, shown, (psycopg.Error,))

    @staticmethod
    def _sql(sql: str) -> str:
        """`?` and `:name` placeholders as psycopg writes them."""
        return re.sub(r":([A-Za-z_]\w*)", r"%(\1)s", sql.replace("?", "%s"))

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self.errors as exc:
            raise DatabaseError(f"{self.location}: {_one_line(exc)}") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._translated():
            return list(self._conn.execute(self._sql(sql), params).fetchall())

    def execute(self, sql: str, params: Params = ()) -> None:
        with self._translated():
            self._conn.execute(self._sql(sql) if params else sql, params or None)  # DDL passes as written

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._translated(), self._conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def insert(self, sql: str, params: Params) -> int:
        with self._translated():
            row = self._conn.execute(self._sql(sql) + " RETURNING id", params).fetchone()
        return int(row["id"])

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._translated(), self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
            yield

    def version(self) -> int:
        # pg_tables, not to_regclass(): a name lookup may answer from this session's catalog cache,
        # stale after another scanner created the table while we waited for the lock.
        present = self._conn.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
                                     "current_schema() AND tablename = 'rollready_layout') AS present").fetchone()
        if not present["present"]:
            return 0
        row = self._conn.execute("SELECT max(version) AS v FROM rollready_layout").fetchone()
        return int(row["v"] or 0)

    def set_version(self, version: int) -> None:
        """Called under write(): the advisory lock makes the CREATE safe against other openers."""
        self._conn.execute("CREATE TABLE IF NOT EXISTS rollready_layout (version INTEGER NOT NULL)")
        self._conn.execute("DELETE FROM rollready_layout")
        self._conn.execute("INSERT INTO rollready_layout (version) VALUES (%s)", [int(version)])

    def ddl(self, statement: str) -> str:
        return statement.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")

    def check(self) -> list[str]:
        """The server keeps its own integrity (checksums, WAL); what we can check is that it answers."""
        self.query("SELECT 1 AS ok")
        return []

    def close(self) -> None:
        self._conn.close()


def redacted(url: str) -> str:
    """The URL without any password, for messages."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = f"{parsed.username}:***@{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


def with_tls_default(url: str) -> str:
    """TLS verified by default: a server that is not on this host gets sslmode=verify-full unless
    the URL says otherwise (libpq's own default, prefer, neither requires nor verifies)."""
    parsed = urlparse(url)
    if "sslmode" in parse_qs(parsed.query) or _local(parsed.hostname):
        return url
    query = parsed.query + ("&" if parsed.query else "") + "sslmode=verify-full"
    return urlunparse(parsed._replace(query=query))


def _local(host: str | None) -> bool:
    if not host or host == "localhost" or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
