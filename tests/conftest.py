import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))  # tests/factory.py

# Property tests draw the same inputs on every run unless ROLLREADY_FUZZ=long asks for the random, long
# run (docs/reliability.md): CI fails on a change, never on the luck of the draw.
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("random")
settings.load_profile("random" if os.environ.get("ROLLREADY_FUZZ") == "long" else "fixed")


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans record their history; keep every test's history out of the user's data folder."""
    monkeypatch.setenv("ROLLREADY_HISTORY", str(tmp_path_factory.mktemp("history") / "history.db"))


@pytest.fixture
def write_file(tmp_path: Path):
    """write_file(name, text): the text written (UTF-8) to tmp_path/name, and that path; the input
    files (cases, waivers, scenarios) tests hand to a loader or the command line."""
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (tests/pg.py); skipped only where none can be had and
    `make test` did not ask for one."""
    import pg

    server = pg.start_server()
    if isinstance(server, str):
        if os.environ.get(pg.REQUIRED_ENV) == "required":
            pytest.fail(f"PostgreSQL is required for this test run: {server}")
        pytest.skip(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty database on the session's server, as a postgresql:// URL."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:50]
    return postgres_server.create_database(name)


@pytest.fixture
def cli_warnings():
    """The command line's rendering of the warnings library code marks for the user
    (`rollready: warning: ...` on stderr), for tests that call the library without main()."""
    from scanner.cli.notices import shown

    with shown():
        yield
