"""`rollready schedule`: printed and written outputs, refusals."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from scanner import exitcodes
from scanner.cli import main

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "task.xsd")))


def _argv(inventory, tmp_path, *extra):
    return ["schedule", "-i", str(inventory), "--phase", "mixed", "--target-os", "2016", "--daily", "02:00",
            "--out", str(tmp_path / "runs"), "--rollready", "/opt/rollready/bin/rollready", *extra]


def test_prints_every_scheduler_entry(inventory, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ROLLREADY_PASSWORD", "hunter2-secret")
    assert main(_argv(inventory, tmp_path, "--run-as", "CORP\\gmsa-rollready$")) == 0
    out = capsys.readouterr().out
    for name in ("xml", "ps1", "service", "timer", "cron"):
        assert f"# ---- rollready-fs-cluster-mixed.{name}" in out
    assert "hunter2-secret" not in out
    cron = next(line for line in out.splitlines() if line.startswith("0 2 * * * "))
    assert cron == (f"0 2 * * * /opt/rollready/bin/rollready scan -i '{inventory}' --phase mixed --target-os 2016 "
                    f"--out {tmp_path / 'runs'} --unattended")


def test_writes_files_schtasks_can_read(inventory, tmp_path, capsys):
    target = tmp_path / "sched"
    assert main(_argv(inventory, tmp_path, "--run-as", "CORP\\svc-rollready", "--write", str(target),
                      "--history", "sqlite:////var/lib/rollready/history.db")) == 0
    assert sorted(p.name for p in target.iterdir()) == [
        f"rollready-fs-cluster-mixed.{ext}" for ext in ("cron", "ps1", "service", "timer", "xml")]
    raw = (target / "rollready-fs-cluster-mixed.xml").read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 LE with BOM, as Task Scheduler exports it
    XSD.assertValid(etree.fromstring(raw))
    service = (target / "rollready-fs-cluster-mixed.service").read_text()
    assert "--history sqlite:////var/lib/rollready/history.db" in service


def test_an_inventory_that_prompts_for_a_password_is_refused(tmp_path, capsys):
    inv = tmp_path / "prompt.yaml"
    inv.write_text("clusters:\n  - name: C\n    credentials:\n      username: u\n      password_prompt: true\n"
                   "    nodes:\n      - name: N1\n")
    assert main(_argv(inv, tmp_path)) == exitcodes.USAGE
    assert "N1 ask for a password at a prompt" in capsys.readouterr().err


def test_secret_flags_are_refused(inventory, tmp_path, capsys):
    assert main(_argv(inventory, tmp_path, "--scan-arg=--password=x")) == exitcodes.USAGE
    assert "secrets never go on a scheduled command line" in capsys.readouterr().err


def test_without_run_as_only_the_linux_entries(inventory, tmp_path, capsys):
    assert main(_argv(inventory, tmp_path)) == 0
    captured = capsys.readouterr()
    assert ".xml" not in captured.out and "# ---- rollready-fs-cluster-mixed.timer" in captured.out
    assert "no --run-as account" in captured.err


def test_newlines_cannot_inject_scheduler_directives(inventory, tmp_path, capsys):
    inv = tmp_path / "x\nExecStartPre=touch pwned.yaml"
    inv.write_text("clusters: [{name: C, nodes: [{name: N1}]}]\n")
    assert main(_argv(inv, tmp_path)) == exitcodes.USAGE
    assert "control characters" in capsys.readouterr().err
    assert main(_argv(inventory, tmp_path, "--unix-user", "root\nUser=x")) == exitcodes.USAGE
