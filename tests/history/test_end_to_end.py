"""End to end against the lab: two scheduled runs with an upgrade in between, drift, a refused overlap.

The lab serves healthy-2012r2 for the first run and mixed-dedup-hazard (NODE1 upgraded to 2016,
its deduplicated disk still able to fail back to 2012 R2) for the second; both are FSCLUSTER1.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from scanner import exitcodes, paths
from scanner.cli import main
from scanner.collect.scan import ScanMeta
from scanner.credentials import CredentialResolver
from scanner.history import HistoryStore
from scanner.inventory import load_inventory
from scanner.lab import PASSWORD_ENV, Lab, load_scenario
from scanner.pipeline import ScanOptions, scan_and_report
from scanner.schedule.unattended import run_unattended

PASSWORD = "lab-password-not-secret"
SCENARIOS = ("healthy-2012r2", "mixed-dedup-hazard")


def _serve(name: str, inventory: Path):
    """Start the lab on a scenario and point the (fixed) inventory file at it, as a changed estate would."""
    lab = Lab(load_scenario(paths.SCENARIOS_DIR / f"{name}.yaml"), tls=False, auth="basic", password=PASSWORD,
              time_scale=0.01)
    running = lab.running()
    running.__enter__()
    inventory.write_text(yaml.safe_dump(lab.inventory()), encoding="utf-8")
    return running


def _assert_two_runs_and_drift(db: Path, out: Path, capsys) -> None:
    with HistoryStore.open(db) as store:
        runs = store.runs()
    assert [r.cluster for r in runs] == ["FSCLUSTER1", "FSCLUSTER1"]
    assert runs[0].verdict == "NO-GO" and runs[1].verdict != "NO-GO"
    assert (out / "latest.txt").read_text().strip() == Path(runs[0].report_dir).name
    assert main(["history", "drift", "--history", str(db), "--format", "json", "--html", str(out / "drift.html")]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert drift["verdict"]["after"] == "NO-GO" and drift["verdict"]["changed"]
    [node1] = [n for n in drift["node_changes"] if n["name"] == "NODE1"]
    assert node1["before"]["build"] == 9600 and node1["after"]["build"] == 14393
    assert any(f["rule_id"].startswith("DDP") for f in drift["new_problems"]), drift["new_problems"]
    assert "NODE1" in (out / "drift.html").read_text()


@pytest.mark.slow
def test_two_unattended_runs_against_the_lab_leave_history_and_drift(tmp_path, capsys):
    inventory, out, db = tmp_path / "inventory.yaml", tmp_path / "out", tmp_path / "history.db"
    resolver = CredentialResolver(env={PASSWORD_ENV: PASSWORD})

    def do_scan(run_dir: Path, store: HistoryStore):
        cluster = load_inventory(inventory).select(None)
        meta = ScanMeta(method="lab", phase="mixed", target_os="2016", inventory=str(inventory))
        outcome = scan_and_report(cluster, run_dir, ScanOptions(meta=meta), resolver=resolver)
        return outcome.result, outcome.facts, outcome.paths["facts"].read_bytes(), outcome.paths["html"]

    for name in SCENARIOS:
        running = _serve(name, inventory)
        try:
            code = run_unattended(out, do_scan, history=db)
        finally:
            running.__exit__(None, None, None)
    assert code == exitcodes.NO_GO
    _assert_two_runs_and_drift(db, out, capsys)


_HOLD_LOCK = textwrap.dedent("""
    import sys
    from pathlib import Path
    from scanner.schedule.unattended import LOCK_NAME, run_lock

    with run_lock(Path(sys.argv[1]) / LOCK_NAME):
        print("held", flush=True)
        sys.stdin.readline()
""")


def _scan_has_unattended() -> bool:
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
        main(["scan", "--help"])
    return "--unattended" in help_text.getvalue()


@pytest.mark.slow
@pytest.mark.skipif(not _scan_has_unattended(), reason="rollready scan has no --unattended yet (scan_cmd wiring)")
def test_the_scheduled_command_runs_twice_and_refuses_an_overlap(tmp_path, capsys, monkeypatch):
    inventory, out, db = tmp_path / "inventory.yaml", tmp_path / "out", tmp_path / "history.db"
    inventory.write_text("clusters: [{name: FSCLUSTER1, nodes: [{name: NODE1}]}]\n")  # replaced by _serve
    rollready = str(Path(sys.executable).with_name("rollready"))
    assert main(["schedule", "-i", str(inventory), "--phase", "mixed", "--target-os", "2016", "--every", "4h",
                 "--out", str(out), "--history", str(db), "--rollready", rollready, "--scan-arg=--no-pdfa"]) == 0
    cron = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("0 */4 * * * "))
    argv = shlex.split(cron.removeprefix("0 */4 * * * ").replace("\\%", "%"))
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    for name in SCENARIOS:
        running = _serve(name, inventory)
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        finally:
            running.__exit__(None, None, None)
        assert done.returncode in (exitcodes.GO, exitcodes.GO_WITH_WARNINGS, exitcodes.NO_GO,
                                   exitcodes.INCOMPLETE), done.stderr
    assert done.returncode == exitcodes.NO_GO
    _assert_two_runs_and_drift(db, out, capsys)

    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    finally:
        holder.communicate("done\n", timeout=60)
    assert refused.returncode == exitcodes.LOCKED
    assert "another rollready run is still going" in refused.stderr
    assert refused.stderr.count("\n") == 1  # one clear line, no traceback
    with HistoryStore.open(db) as store:
        assert len(store.runs()) == 2
