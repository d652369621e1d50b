"""scanner/schedule/unattended.py and scanner/cli/unattended_args.py (kept next to the history tests: it shares their scan documents)."""
from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scanner import exitcodes
from scanner.errors import InputError
from scanner.history import HistoryStore
from scanner.schedule.notify import Notifier
from scanner.schedule.unattended import (
    LockedError,
    RunOutcome,
    new_run_dir,
    read_latest,
    refresh_latest,
    rotating_log,
    run_unattended,
)

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def _scanner(make_scan, verdicts):
    """A do_scan that writes a report into the run folder and returns the next verdict's documents."""
    seen = []

    def do_scan(run_dir: Path, store: HistoryStore):
        verdict = verdicts[len(seen)]
        seen.append(run_dir)
        result, facts, facts_bytes, _ = make_scan(verdict=verdict, collected_at=f"2026-11-2{len(seen)}T02:00:00Z")
        (run_dir / "report.html").write_text("<html></html>")
        return result, facts, facts_bytes

    return do_scan, seen


def test_each_run_gets_a_folder_history_row_and_latest_pointer(tmp_path, make_scan):
    do_scan, seen = _scanner(make_scan, ["GO", "NO-GO"])
    clock = iter([T0, T0])  # same second twice: the second folder gets a suffix
    db = tmp_path / "h.db"
    assert run_unattended(tmp_path / "out", do_scan, history=db, now=lambda: next(clock)) == exitcodes.GO
    assert run_unattended(tmp_path / "out", do_scan, history=db, now=lambda: next(clock)) == exitcodes.NO_GO
    assert [p.name for p in seen] == ["20261125T020000Z", "20261125T020000Z-2"]
    assert read_latest(tmp_path / "out") == seen[1]
    assert (tmp_path / "out" / "latest").resolve() == seen[1].resolve()
    with HistoryStore.open(db) as store:
        runs = store.runs()
    assert [(r.verdict, r.report_dir) for r in runs] == [("NO-GO", str(seen[1])), ("GO", str(seen[0]))]
    log_text = (tmp_path / "out" / "logs" / "rollready.log").read_text()
    assert "run 2 recorded: FSCLUSTER1 NO-GO (was GO), exit 2" in log_text


def test_facts_digest_is_the_sha256_of_the_facts_bytes(tmp_path, make_scan):
    result, facts, facts_bytes, sha = make_scan()
    run_unattended(tmp_path / "out", lambda d, s: RunOutcome(result, facts, facts_bytes), history=tmp_path / "h.db")
    with HistoryStore.open(tmp_path / "h.db") as store:
        assert store.get("latest").facts_sha256 == sha


def test_a_failed_scan_is_logged_reraised_and_leaves_no_empty_folder(tmp_path):
    def broken(run_dir, store):
        raise InputError("inventory.yaml:3: no such cluster")

    with pytest.raises(InputError):
        run_unattended(tmp_path / "out", broken, history=tmp_path / "h.db")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".rollready.lock", "logs"]
    assert "run failed: inventory.yaml:3: no such cluster" in (tmp_path / "out/logs/rollready.log").read_text()


def test_a_failed_scan_is_announced_as_error(tmp_path):
    out_file = tmp_path / "calls.txt"
    notifier = Notifier(command=(sys.executable, "-c", _APPEND_ARGS, str(out_file)))

    def broken(run_dir, store):
        raise InputError("bad inventory")

    with pytest.raises(InputError):
        run_unattended(tmp_path / "out", broken, history=tmp_path / "h.db", notifier=notifier)
    assert out_file.read_text().split("|")[0] == "ERROR"


_APPEND_ARGS = "import sys; open(sys.argv[1], 'a').write('|'.join(sys.argv[2:]) + '\\n')"


def test_notify_only_on_verdict_change_by_default(tmp_path, make_scan):
    out_file = tmp_path / "calls.txt"
    notifier = Notifier(command=(sys.executable, "-c", _APPEND_ARGS, str(out_file)))
    do_scan, seen = _scanner(make_scan, ["GO", "GO", "NO-GO"])
    for _ in range(3):
        run_unattended(tmp_path / "out", do_scan, history=tmp_path / "h.db", notifier=notifier)
    calls = out_file.read_text().splitlines()
    assert calls == [f"GO|{seen[0] / 'report.html'}", f"NO-GO|{seen[2] / 'report.html'}"]


_HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from scanner.schedule.unattended import run_unattended

    def slow_scan(run_dir, store):
        print("scanning", flush=True)
        sys.stdin.readline()  # hold the lock until the test says go
        raise SystemExit(0)

    run_unattended(Path(sys.argv[1]), slow_scan, history=sys.argv[2])
""")


def test_a_second_concurrent_run_is_refused_with_exit_75(tmp_path, make_scan):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out), str(tmp_path / "h.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "scanning"
        do_scan, seen = _scanner(make_scan, ["GO"])
        with pytest.raises(LockedError) as err:
            run_unattended(out, do_scan, history=tmp_path / "h.db")
        assert err.value.exit_code == exitcodes.LOCKED == 75
        message = err.value.problems[0].render()
        assert f"another rollready run is still going in {out} (pid {holder.pid}, started " in message
        assert "this run is skipped" in message
        assert seen == []  # the refused run did not scan
    finally:
        holder.communicate("go\n", timeout=60)
    # once the first run is over, the next one proceeds
    do_scan, seen = _scanner(make_scan, ["GO"])
    assert run_unattended(out, do_scan, history=tmp_path / "h.db") == exitcodes.GO


def test_log_rotates(tmp_path):
    log = logging.getLogger("scanner.test")
    with rotating_log(tmp_path / "r.log", max_bytes=2000, backups=2):
        for i in range(200):
            log.info("line %d %s", i, "x" * 40)
    log.info("after the run: not in the file")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["r.log", "r.log.1", "r.log.2"]
    assert "line 199" in (tmp_path / "r.log").read_text()
    assert "after the run" not in (tmp_path / "r.log").read_text()


def test_latest_falls_back_to_the_pointer_file(tmp_path):
    (tmp_path / "latest").mkdir()  # a real folder where the symlink would go: cannot replace it
    run_dir = new_run_dir(tmp_path, T0)
    refresh_latest(tmp_path, run_dir)
    assert read_latest(tmp_path) == run_dir
    assert (tmp_path / "latest").is_dir() and not (tmp_path / "latest").is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _parse(*argv):
    import argparse

    from scanner.cli.unattended_args import add_arguments

    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    add_arguments(parser)
    return parser.parse_args(argv)


def test_options_build_the_notifier():
    from scanner.cli.unattended_args import notifier_from_args, run_from_args
    from scanner.errors import UsageError

    assert notifier_from_args(_parse()) is None
    n = notifier_from_args(_parse("--notify-cmd", "/usr/bin/page --team 'storage ops'", "--notify-on", "not-go",
                                  "--smtp-host", "relay.corp:587", "--smtp-from", "a@corp", "--smtp-to", "b@corp",
                                  "--smtp-starttls", "--smtp-user", "svc"))
    assert n.command == ("/usr/bin/page", "--team", "storage ops") and n.when == "not-go"
    assert (n.smtp.host, n.smtp.port, n.smtp.recipients, n.smtp.starttls, n.smtp.username) == (
        "relay.corp", 587, ("b@corp",), True, "svc")
    with pytest.raises(UsageError, match="needs --smtp-from"):
        notifier_from_args(_parse("--smtp-host", "relay"))
    with pytest.raises(UsageError, match="needs --out"):
        run_from_args(_parse("--unattended"), lambda d, s: pytest.fail("ran"))


@pytest.mark.parametrize("argv,message", [
    (["--notify-cmd", "/usr/bin/page 'unbalanced"], "--notify-cmd: No closing quotation"),
    (["--smtp-host", "relay.example:99999"], "port from 1 to 65535"),
    (["--smtp-host", "relay.example:0"], "port from 1 to 65535"),
    (["--smtp-host", ":25"], "give HOST, HOST:PORT"),
    (["--smtp-host", "relay.example:smtp"], "give HOST, HOST:PORT"),
    (["--smtp-host", "[::1]x"], "give HOST, HOST:PORT"),
])
def test_notification_options_that_cannot_work_are_usage_errors(argv, message):
    """An unbalanced quote was an internal error (ValueError from shlex); a port past 65535 would have
    failed only when the first mail was due (OverflowError from the socket, not an OSError)."""
    from scanner.cli.unattended_args import notifier_from_args
    from scanner.errors import UsageError

    with pytest.raises(UsageError, match=message):
        notifier_from_args(_parse(*argv, "--smtp-from", "a@corp.example", "--smtp-to", "b@corp.example"))


@pytest.mark.parametrize("given,host,port", [("relay.example", "relay.example", 25), ("relay.example:587", "relay.example", 587),
                                             ("::1", "::1", 25), ("[::1]:2525", "::1", 2525), ("[::1]", "::1", 25),
                                             ("127.0.0.1:26", "127.0.0.1", 26)])
def test_the_relay_may_be_a_name_an_ipv4_or_an_ipv6_address(given, host, port):
    """'::1' was split at its last colon: host '::', port 1."""
    from scanner.cli.unattended_args import notifier_from_args

    n = notifier_from_args(_parse("--smtp-host", given, "--smtp-from", "a@corp.example", "--smtp-to", "b@corp.example"))
    assert (n.smtp.host, n.smtp.port) == (host, port)
