"""Schedules for unattended scans: Task Scheduler XML, Register-ScheduledTask, systemd, cron."""
from __future__ import annotations

from scanner.schedule.powershell import register_line
from scanner.schedule.spec import Daily, Every, ScheduleSpec, parse_daily, parse_every
from scanner.schedule.systemd import cron_line, service_unit, timer_unit
from scanner.schedule.taskscheduler import task_xml

__all__ = ["Daily", "Every", "ScheduleSpec", "parse_daily", "parse_every", "render_all"]


def render_all(spec: ScheduleSpec) -> dict[str, str]:
    """File name -> text for the schedulers of the spec's platform only."""
    if spec.platform == "windows":
        return {f"{spec.name}.xml": task_xml(spec), f"{spec.name}.ps1": register_line(spec) + "\n"}
    return {f"{spec.name}.service": service_unit(spec), f"{spec.name}.timer": timer_unit(spec),
            f"{spec.name}.cron": cron_line(spec)}
