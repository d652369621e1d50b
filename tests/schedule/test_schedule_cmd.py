"""`rollready schedule`: printed and written outputs, refusals."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from scanner import exitcodes
from scanner.cli import main

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "task.xsd")))


def _argv(inventory, tmp_path, *extra, target="linux"):
    return ["schedule", "-i", str(inventory), "--phase", "mixed", "--target-os", "2016", "--daily", "02:00",
            "--out", str(tmp_path / "runs"), "--rollready", "/opt/rollready/bin/rollready", "--for", target, *extra]


WINDOWS = ["schedule", "-i", r"C:\rollready\fs cluster.yaml", "--phase", "mixed", "--target-os", "2016",
           "--daily", "02:00", "--out", r"C:\rollready\runs", "--for", "windows",
           "--rollready", r"C:\Program Files\Python312\Scripts\rollready.exe"]


def test_prints_the_linux_entries(inventory, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ROLLREADY_PASSWORD", "hunter2-secret")
    assert main(_argv(inventory, tmp_path)) == 0
    out = capsys.readouterr().out
    names = [line.removeprefix("# ---- ") for line in out.splitlines() if line.startswith("# ---- ")]
    assert names == [f"rollready-fs-cluster-mixed.{ext}" for ext in ("service", "timer", "cron")]
    assert "hunter2-secret" not in out
    cron = next(line for line in out.splitlines() if line.startswith("0 2 * * * "))
    assert cron == (f"0 2 * * * /opt/rollready/bin/rollready scan -i '{inventory}' --phase mixed --target-os 2016 "
                    f"--out {tmp_path / 'runs'} --unattended --scan-timeout 86400")  # never holds its lock for ever


def test_the_scan_deadline_follows_the_period_unless_given(inventory, tmp_path, capsys):
    every = [a if a != "--daily" else "--every" for a in _argv(inventory, tmp_path)]
    every[every.index("--every") + 1] = "4h"
    assert main(every) == 0
    assert "--unattended --scan-timeout 14400" in capsys.readouterr().out
    assert main(_argv(inventory, tmp_path, "--scan-arg=--scan-timeout=600")) == 0
    out = capsys.readouterr().out
    assert "--scan-timeout=600" in out and "--scan-timeout 86400" not in out


def test_writes_windows_files_schtasks_can_read_without_opening_windows_paths(tmp_path, capsys):
    """Written on Linux for Windows: the C:\\ inventory does not exist here and is not opened."""
    target = tmp_path / "sched"
    assert main([*WINDOWS, "--run-as", "CORP\\svc-rollready", "--write", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == [
        f"rollready-fs-cluster-mixed.{ext}" for ext in ("ps1", "xml")]
    raw = (target / "rollready-fs-cluster-mixed.xml").read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 LE with BOM, as Task Scheduler exports it
    root = etree.fromstring(raw)
    XSD.assertValid(root)
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == (
        r'scan -i "C:\rollready\fs cluster.yaml" --phase mixed --target-os 2016 --out C:\rollready\runs '
        r"--unattended --history C:\ProgramData\rollready\history.db --scan-timeout 86400")
    assert root.findtext("t:RegistrationInfo/t:Description", namespaces=ns).endswith(
        r"Run log: C:\rollready\runs\logs\rollready.log")
    assert "the scheduled run checks it" in capsys.readouterr().err


def test_linux_history_url_is_passed_on(inventory, tmp_path):
    target = tmp_path / "sched"
    assert main(_argv(inventory, tmp_path, "--write", str(target),
                      "--history", "sqlite:////var/lib/rollready/history.db")) == 0
    service = (target / "rollready-fs-cluster-mixed.service").read_text()
    assert "--history sqlite:////var/lib/rollready/history.db" in service


@pytest.mark.parametrize("argv, message", [
    (["-i", "relative.yaml"], "a task for Windows needs the Windows path"),
    (["-i", "/etc/rollready/inv.yaml"], "a task for Windows needs the Windows path"),
    (["--out", "runs"], "--out runs: a task for Windows needs the Windows path"),
])
def test_a_windows_task_refuses_paths_of_the_other_platform(argv, message, capsys):
    assert main([*WINDOWS, "--run-as", "SYSTEM", *argv]) == exitcodes.USAGE
    assert message in capsys.readouterr().err


def test_a_linux_schedule_refuses_a_windows_path(tmp_path, capsys):
    assert main(_argv(r"C:\rollready\inv.yaml", tmp_path)) == exitcodes.USAGE
    assert "a Windows path cannot go into a Linux schedule" in capsys.readouterr().err


def test_a_windows_task_needs_an_account_and_the_program_path(capsys):
    assert main(WINDOWS) == exitcodes.USAGE
    assert "--for windows needs --run-as" in capsys.readouterr().err
    assert main([a for a in WINDOWS if "rollready.exe" not in a and a != "--rollready"] + ["--run-as", "SYSTEM"]) \
        == exitcodes.USAGE
    assert "needs --rollready" in capsys.readouterr().err


def test_the_default_platform_is_the_host(monkeypatch):
    from scanner import hostpaths

    monkeypatch.setattr(hostpaths.sys, "platform", "win32")
    assert hostpaths.host_platform() == "windows"
    monkeypatch.setattr(hostpaths.sys, "platform", "linux")
    assert hostpaths.host_platform() == "linux"


def test_an_inventory_that_prompts_for_a_password_is_refused(tmp_path, capsys):
    inv = tmp_path / "prompt.yaml"
    inv.write_text("clusters:\n  - name: C\n    credentials:\n      username: u\n      password_prompt: true\n"
                   "    nodes:\n      - name: N1\n")
    assert main(_argv(inv, tmp_path)) == exitcodes.USAGE
    assert "N1 ask for a password at a prompt" in capsys.readouterr().err


def test_secret_flags_are_refused_without_echoing_the_secret(inventory, tmp_path, capsys):
    assert main(_argv(inventory, tmp_path, "--scan-arg=--password=hunter2-secret")) == exitcodes.USAGE
    err = capsys.readouterr().err
    assert "secrets never go on a scheduled command line" in err and "hunter2-secret" not in err


def test_newlines_cannot_inject_scheduler_directives(inventory, tmp_path, capsys):
    inv = tmp_path / "x\nExecStartPre=touch pwned.yaml"
    inv.write_text("clusters: [{name: C, nodes: [{name: N1}]}]\n")
    assert main(_argv(inv, tmp_path)) == exitcodes.USAGE
    assert "control characters" in capsys.readouterr().err
    assert main(_argv(inventory, tmp_path, "--unix-user", "root\nUser=x")) == exitcodes.USAGE


def test_the_scheduled_run_repeats_the_prompt_check_itself(tmp_path, capsys):
    """A task written for another platform never opened its inventory: the run refuses it in one line."""
    inv = tmp_path / "prompt.yaml"
    inv.write_text("clusters:\n  - name: C\n    credentials:\n      username: u\n      password_prompt: true\n"
                   "    nodes:\n      - name: n1.test\n")
    out = tmp_path / "runs"
    code = main(["scan", "-i", str(inv), "--phase", "pre", "--target-os", "2016", "--out", str(out), "--unattended",
                 "--history", str(tmp_path / "h.db")])
    assert code == exitcodes.DATAERR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "password_prompt needs an interactive terminal" in err[0]
    assert "password_prompt needs an interactive terminal" in (out / "logs" / "rollready.log").read_text()


def test_signing_key_is_passed_on_and_its_password_stays_in_the_environment(inventory, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLREADY_SIGN_PASSWORD", "sign-secret-91")
    target = tmp_path / "sched"
    assert main(_argv(inventory, tmp_path, "--write", str(target), "--sign-key", "/etc/rollready/signer.p12",
                      "--timestamp-url", "http://tsa.example/rfc3161")) == 0
    service = (target / "rollready-fs-cluster-mixed.service").read_text()
    assert "--sign-key /etc/rollready/signer.p12 --timestamp-url http://tsa.example/rfc3161" in service
    assert "sign-secret-91" not in service and "ROLLREADY_SIGN_PASSWORD" in service  # named where it goes
    assert main(_argv(inventory, tmp_path, "--scan-arg=--sign-password=x")) == exitcodes.USAGE
