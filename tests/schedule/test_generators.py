"""The four scheduler outputs from one ScheduleSpec; the Task Scheduler XML checked against its schema."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from pwsh_syntax import powershell_errors

from scanner.errors import UsageError
from scanner.schedule import ScheduleSpec, parse_daily, parse_every, render_all
from scanner.pwsh import ps_quote
from scanner.schedule.powershell import register_line
from scanner.schedule.spec import task_name
from scanner.schedule.systemd import cron_line, on_calendar, service_unit, systemd_literal, systemd_quote, timer_unit
from scanner.schedule.taskscheduler import task_xml

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "task.xsd")))
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
ARGS = ("scan", "-i", r"C:\rollready\fs cluster.yaml", "--phase", "mixed", "--target-os", "2016",
        "--out", r"C:\rollready\runs", "--unattended")


def spec(trigger="02:00", run_as="CORP\\gmsa-rollready$", args=ARGS, platform="windows") -> ScheduleSpec:
    trig = parse_daily(trigger) if ":" in trigger else parse_every(trigger)
    return ScheduleSpec(name="rollready-fs-cluster-mixed", program=r"C:\Program Files\rollready\rollready.exe",
                        arguments=args, working_dir=r"C:\rollready\runs", trigger=trig,
                        description="rollready mixed-phase scan", start=date(2026, 11, 25), platform=platform,
                        run_as=run_as)


def _parse(xml_text: str) -> etree._Element:
    # what `schtasks /Create /XML` reads: the UTF-16 file --write produces
    return etree.fromstring(xml_text.encode("utf-16"))


@pytest.mark.parametrize("trigger", ["02:00", "4h", "15m", "24h"])
@pytest.mark.parametrize("run_as", ["CORP\\gmsa-rollready$", "CORP\\svc-rollready", "SYSTEM"])
def test_task_xml_is_valid_against_the_task_scheduler_schema(trigger, run_as):
    root = _parse(task_xml(spec(trigger, run_as)))
    XSD.assertValid(root)
    assert root.get("version") == "1.3"  # the value Microsoft's published schema fixes


@pytest.mark.parametrize("run_as, user_id, logon, level", [
    ("CORP\\gmsa-rollready$", "CORP\\gmsa-rollready$", "Password", "LeastPrivilege"),
    ("CORP\\svc-rollready", "CORP\\svc-rollready", "Password", "LeastPrivilege"),
    ("SYSTEM", "S-1-5-18", None, "HighestAvailable"),
    ("NT AUTHORITY\\SYSTEM", "S-1-5-18", None, "HighestAvailable"),
])
def test_task_principal_per_account_kind(run_as, user_id, logon, level):
    principal = _parse(task_xml(spec(run_as=run_as))).find("t:Principals/t:Principal", namespaces=NS)
    assert principal.findtext("t:UserId", namespaces=NS) == user_id
    assert principal.findtext("t:LogonType", namespaces=NS) == logon
    assert principal.findtext("t:RunLevel", namespaces=NS) == level


def test_task_xml_daily_trigger_and_action():
    root = _parse(task_xml(spec("02:30")))
    assert root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", namespaces=NS) == "2026-11-25T02:30:00"
    assert root.findtext("t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval", namespaces=NS) == "1"
    assert root.findtext("t:Principals/t:Principal/t:UserId", namespaces=NS) == "CORP\\gmsa-rollready$"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    args = root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS)
    assert args == r'scan -i "C:\rollready\fs cluster.yaml" --phase mixed --target-os 2016 --out C:\rollready\runs --unattended'
    assert root.findtext("t:RegistrationInfo/t:URI", namespaces=NS) == "\\rollready\\rollready-fs-cluster-mixed"


def test_task_xml_every_trigger_repeats_indefinitely():
    root = _parse(task_xml(spec("4h")))
    rep = root.find("t:Triggers/t:TimeTrigger/t:Repetition", namespaces=NS)
    assert rep.findtext("t:Interval", namespaces=NS) == "PT4H"
    assert rep.find("t:Duration", namespaces=NS) is None


def test_schema_rejects_what_task_scheduler_would():
    """The XSD is not a rubber stamp: wrong order or a bad enumeration fails."""
    bad = task_xml(spec()).replace("<LogonType>Password</LogonType>", "<LogonType>Secret</LogonType>")
    assert not XSD.validate(_parse(bad))
    root = _parse(task_xml(spec("4h")))
    trig = root.find("t:Triggers/t:TimeTrigger", namespaces=NS)
    trig.append(trig.find("t:StartBoundary", namespaces=NS))  # StartBoundary after Repetition: out of sequence
    assert not XSD.validate(root)


def test_register_line_for_a_gmsa_has_no_password():
    line = register_line(spec())
    assert line.startswith("Register-ScheduledTask -TaskName 'rollready-fs-cluster-mixed' -TaskPath '\\rollready\\'")
    assert "New-ScheduledTaskTrigger -Daily -At '02:00'" in line
    assert "-Principal (New-ScheduledTaskPrincipal -UserId 'CORP\\gmsa-rollready$' -LogonType Password" in line
    assert "-Password" not in line and "Get-Credential" not in line
    assert "-Argument 'scan -i \"C:\\rollready\\fs cluster.yaml\" --phase mixed" in line


def test_register_line_for_a_user_account_asks_for_the_password_when_run():
    line = register_line(spec("30m", run_as="CORP\\svc-rollready"))
    assert line.startswith("$cred = Get-Credential -UserName 'CORP\\svc-rollready'")
    assert "-Password ($cred.GetNetworkCredential().Password)" in line
    assert "-RepetitionInterval (New-TimeSpan -Minutes 30)" in line


def test_powershell_quoting_doubles_every_single_quote_kind():
    assert ps_quote("O'Brien\u2019s $(rm)") == "'O''Brien\u2019\u2019s $(rm)'"


def test_systemd_units():
    s = spec("4h", args=("scan", "-i", "/etc/rollready/fs cluster.yaml", "--out", "/var/lib/rollready/100%"))
    s = ScheduleSpec(**{**vars(s), "program": "/opt/rollready/bin/rollready", "working_dir": "/var/lib/rollready"})
    service = service_unit(s)
    assert ('ExecStart=/opt/rollready/bin/rollready scan -i "/etc/rollready/fs cluster.yaml" '
            "--out /var/lib/rollready/100%%\n") in service
    assert "SuccessExitStatus=1 2 3 75" in service and "User=rollready" in service
    assert "EnvironmentFile=-/etc/rollready/rollready-fs-cluster-mixed.env" in service
    timer = timer_unit(s)
    assert "OnCalendar=*-*-* 00/4:00:00" in timer and "Persistent=true" in timer


@pytest.mark.parametrize("trigger, calendar, cron", [
    ("02:05", "*-*-* 02:05:00", "5 2 * * *"),
    ("15m", "*-*-* *:00/15:00", "*/15 * * * *"),
    ("6h", "*-*-* 00/6:00:00", "0 */6 * * *"),
    ("24h", "*-*-* 00:00:00", "0 0 * * *"),
])
def test_timer_and_cron_express_the_same_schedule(trigger, calendar, cron):
    assert on_calendar(spec(trigger)) == calendar
    assert cron_line(spec(trigger)).startswith(cron + " ")


def test_cron_line_is_shell_quoted_and_escapes_percent():
    s = spec(args=("scan", "-i", "/srv/fs cluster.yaml", "--out", "/srv/100%"))
    s = ScheduleSpec(**{**vars(s), "program": "/usr/bin/rollready"})
    line = cron_line(s)
    assert line == "0 2 * * * /usr/bin/rollready scan -i '/srv/fs cluster.yaml' --out /srv/100\\%\n"
    assert shlex.split(line.split(" ", 5)[5].replace("\\%", "%")) == ["/usr/bin/rollready", *s.arguments]


def test_systemd_quote():
    assert systemd_quote("plain/path.yaml") == "plain/path.yaml"
    assert systemd_quote('a "b" $HOME') == '"a \\"b\\" $$HOME"'
    assert systemd_literal('/srv/out dir/100% "x" $HOME') == '/srv/out dir/100%% "x" $HOME'


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units_for_paths_with_spaces_percent_and_dollar(tmp_path):
    """WorkingDirectory was written quoted, which systemd takes as part of a relative path: 'Unit
    configuration has fatal error, unit will not be started' for any --out with a space."""
    out = tmp_path / "runs dir" / "100% $HOME"
    out.mkdir(parents=True)
    s = spec(args=("scan", "-i", str(tmp_path / "fs cluster.yaml"), "--out", str(out), "--unattended"))
    s = ScheduleSpec(**{**vars(s), "program": sys.executable, "working_dir": str(out),
                        "description": f"rollready scan of {tmp_path / 'fs cluster.yaml'} at 100%", "name": "rr-test"})
    (tmp_path / "rr-test.service").write_text(service_unit(s))
    (tmp_path / "rr-test.timer").write_text(timer_unit(s))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "rr-test.service"),
                           str(tmp_path / "rr-test.timer")], capture_output=True, text=True, timeout=60)
    errors = [line for line in done.stderr.splitlines() if "rr-test" in line]
    assert not errors, done.stderr
    assert f"WorkingDirectory={str(out).replace('%', '%%')}\n" in service_unit(s)


@pytest.mark.parametrize("text", ["7m", "5h", "90m", "0h", "2d", "4"])
def test_intervals_that_do_not_divide_a_day_are_refused(text):
    with pytest.raises(UsageError, match="divides a day evenly"):
        parse_every(text)


@pytest.mark.parametrize("text", ["24:00", "2pm", "02:60"])
def test_bad_times_are_refused(text):
    with pytest.raises(UsageError, match="HH:MM"):
        parse_daily(text)


def test_register_line_for_system_needs_no_password():
    line = register_line(spec(run_as="SYSTEM"))
    assert ("-Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\\SYSTEM' -LogonType ServiceAccount "
            "-RunLevel Highest)") in line
    assert "Get-Credential" not in line and "-Password" not in line


def test_each_platform_gets_only_its_own_files():
    assert sorted(render_all(spec())) == ["rollready-fs-cluster-mixed.ps1", "rollready-fs-cluster-mixed.xml"]
    assert sorted(render_all(spec(platform="linux", run_as=None))) == [
        "rollready-fs-cluster-mixed.cron", "rollready-fs-cluster-mixed.service", "rollready-fs-cluster-mixed.timer"]


def test_task_names():
    assert task_name("/srv/FS Cluster.yaml", "mixed") == "rollready-fs-cluster-mixed"
    assert task_name(r"C:\rollready\FS Cluster.yaml", "post") == "rollready-fs-cluster-post"


@pytest.mark.parametrize("trigger", ["02:00", "15m"])
@pytest.mark.parametrize("run_as", ["CORP\\gmsa-rollready$", "CORP\\svc-rollready", "SYSTEM"])
def test_register_script_parses_as_powershell(trigger, run_as):
    hostile = ARGS + ("--notify-cmd", "echo 'it''s' $(whoami) `n \u2019; Remove-Item C:\\")
    assert powershell_errors(register_line(spec(trigger, run_as, args=hostile))) == []


def test_the_powershell_check_is_not_a_rubber_stamp():
    assert powershell_errors("Register-ScheduledTask -TaskName 'x -Action (New-ScheduledTaskAction -Execute 'a b')")
