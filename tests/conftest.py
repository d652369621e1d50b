import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/factory.py


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans record their history; keep every test's history out of the user's data folder."""
    monkeypatch.setenv("ROLLREADY_HISTORY", str(tmp_path_factory.mktemp("history") / "history.db"))
