"""The same task as one Register-ScheduledTask line (ScheduledTasks module, Server 2012 and later).

Every value is a PowerShell single-quoted literal, so nothing in a path is ever interpreted.
A regular account's password is asked for by Get-Credential when the line runs; a gMSA and
LocalSystem need none.
"""
from __future__ import annotations

from scanner.pwsh import ps_quote
from scanner.schedule.spec import Daily, ScheduleSpec
from scanner.schedule.taskscheduler import EXECUTION_TIME_LIMIT, TASK_FOLDER, windows_command_line


def register_line(spec: ScheduleSpec) -> str:
    action = (f"(New-ScheduledTaskAction -Execute {ps_quote(spec.program)} "
              f"-Argument {ps_quote(windows_command_line(spec.arguments))} "
              f"-WorkingDirectory {ps_quote(spec.working_dir)})")
    if isinstance(spec.trigger, Daily):
        trigger = f"(New-ScheduledTaskTrigger -Daily -At {ps_quote(spec.trigger.hhmm)})"
    else:
        trigger = (f"(New-ScheduledTaskTrigger -Once -At {ps_quote(spec.start.isoformat() + 'T00:00:00')} "
                   f"-RepetitionInterval (New-TimeSpan -Minutes {spec.trigger.minutes}))")
    hours = int(EXECUTION_TIME_LIMIT.removeprefix("PT").removesuffix("H"))
    settings = ("(New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable "
                "-RunOnlyIfNetworkAvailable -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries "
                f"-ExecutionTimeLimit (New-TimeSpan -Hours {hours}))")
    head = (f"Register-ScheduledTask -TaskName {ps_quote(spec.name)} -TaskPath {ps_quote(TASK_FOLDER)} "
            f"-Description {ps_quote(spec.description)} -Action {action} -Trigger {trigger} -Settings {settings}")
    account = spec.run_as or ""
    if spec.is_system:
        return (f"{head} -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\\SYSTEM' "
                "-LogonType ServiceAccount -RunLevel Highest)")
    if spec.is_gmsa:
        return (f"{head} -Principal (New-ScheduledTaskPrincipal -UserId {ps_quote(account)} "
                "-LogonType Password -RunLevel Limited)")
    return (f"$cred = Get-Credential -UserName {ps_quote(account)} -Message 'Account that runs the rollready task'; "
            f"{head} -User $cred.UserName -Password ($cred.GetNetworkCredential().Password) -RunLevel Limited")
