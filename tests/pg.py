"""A throwaway PostgreSQL server for the tests: Debian's binaries (scripts/bootstrap.sh installs the
`postgresql` package), a fresh cluster in a temporary folder, listening on 127.0.0.1 only, trust
authentication (nothing else can reach it), stopped and removed at the end of the session.

Run as root (CI is), initdb refuses: the cluster then belongs to the `postgres` account the package
creates and the server commands run as that account (runuser).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_ports

REQUIRED_ENV = "ROLLREADY_TEST_POSTGRES"  # `make test` sets it to "required": never skip there


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    user: str | None  # the account the server runs as, when not ourselves

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / argv[0]), *argv[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)

    @property
    def superuser(self) -> str:
        return "rollready_test"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.datadir), "-U", self.superuser, "--auth=trust", "-E", "UTF8",
                  "--no-instructions")
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def find_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def start_server() -> PostgresServer | str:
    """A running server, or why there is none."""
    bindir = find_bindir()
    if bindir is None:
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); scripts/bootstrap.sh installs them"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    user = None
    top = Path(tempfile.mkdtemp(prefix="rollready-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres account to run the server as"
        user = "postgres"
        os.chown(top, account.pw_uid, account.pw_gid)
    server = PostgresServer(bindir, top / "data", free_ports(), user)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(top, ignore_errors=True)
        return f"PostgreSQL did not start: {' '.join(exc.cmd[:6])}: {exc.stderr.strip()[-400:]}"
    return server
