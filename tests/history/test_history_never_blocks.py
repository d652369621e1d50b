"""A history that cannot be opened or written never blocks a scan (issue #11 §4); `history check` says
how to recover and --recreate keeps the damaged file."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from scanner import exitcodes
from scanner.cli import main
from scanner.history import HistoryStore
from scanner.schedule.notify import Notifier
from scanner.schedule.unattended import run_unattended

_ENV_ARGS = "import os, sys; open(sys.argv[1], 'a').write(os.environ['ROLLREADY_CLUSTER'] + '|' + '|'.join(sys.argv[2:]) + '\\n')"


def _damaged(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))  # a header and garbage: not a database
    return path


def _scan(make_scan, verdict="NO-GO"):
    def do_scan(run_dir: Path, store):
        result, facts, facts_bytes, _ = make_scan(verdict=verdict)
        (run_dir / "report.html").write_text("<html></html>")
        return result, facts, facts_bytes
    return do_scan


def test_a_damaged_history_does_not_stop_a_scheduled_run(tmp_path, make_scan, capsys, cli_warnings):
    db = _damaged(tmp_path / "h.db")
    calls = tmp_path / "calls.txt"
    notifier = Notifier(command=(sys.executable, "-c", _ENV_ARGS, str(calls)), when="always")
    code = run_unattended(tmp_path / "out", _scan(make_scan), history=db, notifier=notifier)
    assert code == exitcodes.NO_GO  # the verdict's code, not 65
    runs = [p for p in (tmp_path / "out").iterdir() if p.name[:4].isdigit()]
    assert len(runs) == 1 and (runs[0] / "report.html").exists()
    log = (tmp_path / "out" / "logs" / "rollready.log").read_text()
    assert "history not available, this run will not be recorded" in log and "history check" in log
    assert "history not available" in capsys.readouterr().err
    assert calls.read_text().startswith("FSCLUSTER1|NO-GO|")  # the notification went out
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"  # the damaged file is left alone


def test_a_history_that_fails_on_write_does_not_change_the_exit_code(tmp_path, make_scan, monkeypatch, capsys,
                                                                     cli_warnings):
    import sqlite3

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(HistoryStore, "record", full)
    code = run_unattended(tmp_path / "out", _scan(make_scan, "GO"), history=tmp_path / "h.db")
    assert code == exitcodes.GO
    err = capsys.readouterr().err
    assert "history not written, this run is not recorded: database or disk is full" in err


def test_history_check_says_how_to_recover_and_recreate_keeps_the_old_file(tmp_path, capsys):
    db = tmp_path / "h.db"
    assert main(["history", "check", "--history", str(db)]) == exitcodes.GO
    assert "no history" in capsys.readouterr().out
    HistoryStore.open(db).close()
    assert main(["history", "check", "--history", str(db)]) == exitcodes.GO
    assert "is sound (0 runs)" in capsys.readouterr().out
    _damaged(db)
    original = db.read_bytes()
    assert main(["history", "check", "--history", str(db)]) == exitcodes.DATAERR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "history check --recreate" in err and "Traceback" not in err
    assert main(["history", "check", "--recreate", "--history", str(db)]) == exitcodes.GO
    kept = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == original
    assert main(["history", "check", "--history", str(db)]) == exitcodes.GO


@pytest.mark.parametrize("damage", ["garbage", "directory"])
def test_history_list_on_a_damaged_store_is_one_line(tmp_path, capsys, damage):
    db = tmp_path / "h.db"
    if damage == "garbage":
        _damaged(db)
    else:
        db.mkdir()
    code = main(["history", "list", "--history", str(db)])
    assert code == exitcodes.DATAERR
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_an_interrupted_unattended_run_keeps_its_folder_but_is_not_history(tmp_path, make_scan, capsys):
    def stopped(run_dir: Path, store):
        result, facts, facts_bytes, _ = make_scan(verdict="INCOMPLETE")
        facts["scan"]["partial"] = True  # SIGTERM from the scheduler mid-scan
        (run_dir / "report.html").write_text("<html></html>")
        return result, facts, facts_bytes

    db = tmp_path / "h.db"
    code = run_unattended(tmp_path / "out", stopped, history=db)
    assert code == exitcodes.INCOMPLETE
    with HistoryStore.open(db) as store:
        assert store.runs() == []
    assert "the run was interrupted" in (tmp_path / "out" / "logs" / "rollready.log").read_text()
    assert (tmp_path / "out" / "latest.txt").read_text().strip()  # the partial run folder is still pointed at
