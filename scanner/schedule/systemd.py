"""A systemd service + timer pair, and the crontab line for hosts without systemd."""
from __future__ import annotations

import re
import shlex

from scanner.schedule.spec import Daily, ScheduleSpec

# Verdicts (1 warnings, 2 NO-GO, 3 INCOMPLETE) and 75 (previous run still going) are results, not
# service failures: the unit fails only when rollready itself could not run (64, 65, 70).
SUCCESS_EXIT_STATUS = "1 2 3 75"


def systemd_quote(arg: str) -> str:
    """One ExecStart word: % and $ doubled (specifiers, variables), quoted when it has spaces or quotes."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_literal(text: str) -> str:
    """A path or text setting (WorkingDirectory=, Description=): systemd takes it verbatim, quotes
    included (a quoted WorkingDirectory is "not absolute", a fatal unit error), and expands only its
    % specifiers; so % is doubled and nothing else is touched."""
    return text.replace("%", "%%")


def on_calendar(spec: ScheduleSpec) -> str:
    trig = spec.trigger
    if isinstance(trig, Daily):
        return f"*-*-* {trig.hhmm}:00"
    if trig.hours is None:
        return f"*-*-* *:00/{trig.minutes}:00"
    return "*-*-* 00:00:00" if trig.hours == 24 else f"*-*-* 00/{trig.hours}:00:00"


def service_unit(spec: ScheduleSpec) -> str:
    exec_start = " ".join(systemd_quote(a) for a in (spec.program, *spec.arguments))
    return f"""[Unit]
Description={systemd_literal(spec.description)}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User={spec.unix_user}
WorkingDirectory={systemd_literal(spec.working_dir)}
# Secrets (ROLLREADY_PASSWORD, ROLLREADY_SMTP_PASSWORD, ROLLREADY_SIGN_PASSWORD) go in this file, mode 0600,
# never in the unit.
EnvironmentFile=-/etc/rollready/{spec.name}.env
ExecStart={exec_start}
SuccessExitStatus={SUCCESS_EXIT_STATUS}
NoNewPrivileges=yes
PrivateTmp=yes
"""


def timer_unit(spec: ScheduleSpec) -> str:
    return f"""[Unit]
Description=Timer for {systemd_literal(spec.description)}

[Timer]
OnCalendar={on_calendar(spec)}
Persistent=true
Unit={spec.name}.service

[Install]
WantedBy=timers.target
"""


def cron_line(spec: ScheduleSpec) -> str:
    trig = spec.trigger
    if isinstance(trig, Daily):
        when = f"{trig.minute} {trig.hour} * * *"
    elif trig.hours is None:
        when = f"*/{trig.minutes} * * * *"
    else:
        when = "0 0 * * *" if trig.hours == 24 else f"0 */{trig.hours} * * *"
    command = shlex.join((spec.program, *spec.arguments)).replace("%", "\\%")  # cron turns % into newlines
    return f"{when} {command}\n"
