"""Windows Task Scheduler: the task XML that `schtasks /Create /XML` and Register-ScheduledTask accept.

Element names and order follow Microsoft's Task Scheduler schema reference; tests validate the
output against tests/schedule/data/task.xsd (a transcription of that schema's types used here; see
docs/scheduling.md for the source and what was checked against the full published schema).

Principals: a gMSA and a domain account log on with LogonType Password (for a gMSA Windows fetches
the password from Active Directory: ComputerManagementDsc's ScheduledTask resource registers gMSA
tasks this way); LocalSystem is named by its SID, S-1-5-18, with no LogonType, as Task Scheduler
exports such tasks (the published schema's logonType has no ServiceAccount value).
"""
from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from scanner.schedule.spec import SYSTEM_SID, Daily, ScheduleSpec

NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
TASK_FOLDER = "\\rollready\\"
EXECUTION_TIME_LIMIT = "PT2H"  # a scan that hangs longer is stopped; the next trigger starts fresh


def windows_command_line(arguments: tuple[str, ...]) -> str:
    """Quote arguments the way the Microsoft C runtime parses them back."""
    return subprocess.list2cmdline(list(arguments))


def task_xml(spec: ScheduleSpec) -> str:
    """The task as XML text with a UTF-16 declaration (write it with .encode('utf-16'))."""
    ET.register_namespace("", NS)
    # 1.3 (Windows 7 / Server 2008 R2 and later) is the value Microsoft's published schema fixes.
    task = ET.Element(f"{{{NS}}}Task", {"version": "1.3"})
    reg = _sub(task, "RegistrationInfo")
    _sub(reg, "URI", f"{TASK_FOLDER}{spec.name}")
    _sub(reg, "Author", "rollready")
    _sub(reg, "Description", spec.description)
    triggers = _sub(task, "Triggers")
    if isinstance(spec.trigger, Daily):
        trig = _sub(triggers, "CalendarTrigger")
        _sub(trig, "StartBoundary", f"{spec.start.isoformat()}T{spec.trigger.hhmm}:00")
        _sub(_sub(trig, "ScheduleByDay"), "DaysInterval", "1")
    else:
        trig = _sub(triggers, "TimeTrigger")
        _sub(trig, "StartBoundary", f"{spec.start.isoformat()}T00:00:00")
        rep = _sub(trig, "Repetition")
        _sub(rep, "Interval", spec.trigger.iso)  # no Duration: repeat indefinitely
        _sub(rep, "StopAtDurationEnd", "false")
    principal = _sub(_sub(task, "Principals"), "Principal", id="rollready")
    if spec.is_system:
        _sub(principal, "UserId", SYSTEM_SID)
        _sub(principal, "RunLevel", "HighestAvailable")
    else:
        if spec.run_as:
            _sub(principal, "UserId", spec.run_as)
        _sub(principal, "LogonType", "Password")  # a gMSA too: Windows fetches its password from AD
        _sub(principal, "RunLevel", "LeastPrivilege")
    settings = _sub(task, "Settings")
    for name, value in (("MultipleInstancesPolicy", "IgnoreNew"), ("DisallowStartIfOnBatteries", "false"),
                        ("StopIfGoingOnBatteries", "false"), ("StartWhenAvailable", "true"),
                        ("RunOnlyIfNetworkAvailable", "true"), ("Enabled", "true"),
                        ("ExecutionTimeLimit", EXECUTION_TIME_LIMIT)):
        _sub(settings, name, value)
    exec_ = _sub(_sub(task, "Actions", Context="rollready"), "Exec")
    _sub(exec_, "Command", spec.program)
    _sub(exec_, "Arguments", windows_command_line(spec.arguments))
    _sub(exec_, "WorkingDirectory", spec.working_dir)
    ET.indent(task, space="  ")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el
