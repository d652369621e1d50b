"""Schedules for unattended scans: Task Scheduler XML, Register-ScheduledTask, systemd, cron."""
from __future__ import annotations

from scanner.schedule.powershell import register_line
from scanner.schedule.spec import Daily, Every, ScheduleSpec, parse_daily, parse_every
from scanner.schedule.systemd import cron_line, service_unit, timer_unit
from scanner.schedule.taskscheduler import task_xml

__all__ = ["Daily", "Every", "ScheduleSpec", "parse_daily", "parse_every", "render_all"]


def render_all(spec: ScheduleSpec) -> dict[str, str]:
    """File name -> text for every scheduler, Windows ones only when a run-as account is known."""
    files = {}
    if spec.run_as:
        files[f"{spec.name}.xml"] = task_xml(spec)
        files[f"{spec.name}.ps1"] = register_line(spec) + "\n"
    files[f"{spec.name}.service"] = service_unit(spec)
    files[f"{spec.name}.timer"] = timer_unit(spec)
    files[f"{spec.name}.cron"] = cron_line(spec)
    return files
