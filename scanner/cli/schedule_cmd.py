"""`rollready schedule`: the scheduler entries for an unattended scan, printed or written.

    rollready schedule -i INVENTORY --phase mixed --target-os 2016 (--daily 02:00 | --every 4h) --out DIR
                       [--for windows|linux] [--run-as CORP\\gmsa-rollready$] [--write DIR] [--history URL] ...

For Windows (--for windows, the default on Windows) it prints (or writes into --write DIR) a Task
Scheduler XML and the matching Register-ScheduledTask line; for Linux a systemd service + timer and
a crontab line. None of them carries a secret: the scan reads its credentials from the environment
or the keyring, as the inventory says.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from datetime import date
from pathlib import Path

from scanner.atomic import write_atomic
from scanner.cli.common import add_upgrade_options
from scanner.errors import UsageError
from scanner.hostpaths import PLATFORMS, Platform, host_platform, machine_data_dir
from scanner.inventory import load_inventory
from scanner.schedule import ScheduleSpec, parse_daily, parse_every, render_all
from scanner.schedule.notify import NOTIFY_WHEN
from scanner.schedule.spec import DAY_MINUTES, Every, task_name
from scanner.schedule.target import is_windows_absolute, target_path

SECRET_FLAGS = ("--password", "--password-prompt", "--smtp-password", "--sign-password")


DESCRIPTION = ("Print (or --write) the scheduler entries that run `rollready scan --unattended` on a "
               "schedule: for Windows a Task Scheduler XML and a Register-ScheduledTask line, for Linux a "
               "systemd service and timer and a crontab line. No password is ever part of them: "
               "credentials come from the environment or the keyring.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--inventory", required=True, metavar="FILE",
                   help="the inventory the scan reads, as a path on the host that runs the task")
    p.add_argument("--cluster", metavar="NAME", help="the cluster to scan when the inventory holds several")
    add_upgrade_options(p, required=True)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--daily", metavar="HH:MM", help="once a day at this local time")
    when.add_argument("--every", metavar="N(m|h)", help="every N minutes or hours (dividing a day evenly)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder that receives one folder per run")
    p.add_argument("--for", dest="platform", choices=PLATFORMS, default=host_platform(),
                   help=f"the platform of the host that runs the task (default: {host_platform()}, this one); "
                        "only that platform's files are written, with paths in its form")
    p.add_argument("--write", metavar="DIR", help="write the files here instead of printing them")
    p.add_argument("--run-as", metavar="ACCOUNT",
                   help="Windows account of the task: a gMSA (CORP\\gmsa-rollready$), a dedicated domain "
                        "account, or SYSTEM (the computer account reaches the nodes); needed --for windows")
    p.add_argument("--unix-user", default="rollready", metavar="USER", help="systemd User= (default rollready)")
    p.add_argument("--name", metavar="NAME", help="task/unit name (default rollready-<inventory>-<phase>)")
    p.add_argument("--rollready", metavar="PATH", help="the rollready program on the host that runs the task "
                                                      "(default: the one running now)")
    p.add_argument("--history", metavar="URL|PATH",
                   help="history database the runs are recorded in (default for Windows tasks: "
                        "%%ProgramData%%\\rollready\\history.db, shared by the task's account and the admins)")
    p.add_argument("--notify-cmd", metavar="COMMAND", help="passed on to the scan (see rollready scan --help)")
    p.add_argument("--notify-on", choices=NOTIFY_WHEN, help="passed on to the scan")
    p.add_argument("--smtp-host", metavar="HOST[:PORT]")
    p.add_argument("--smtp-from", metavar="ADDRESS")
    p.add_argument("--smtp-to", metavar="ADDRESS", action="append", default=[])
    p.add_argument("--smtp-starttls", action="store_true")
    p.add_argument("--smtp-user", metavar="NAME", help="relay login; its password stays in env or keyring")
    p.add_argument("--sign-key", metavar="FILE.p12",
                   help="sign each run's PDF with this PKCS#12 key; the run reads its password from "
                        "ROLLREADY_SIGN_PASSWORD (systemd: the unit's .env file; Windows: the task account's environment)")
    p.add_argument("--timestamp-url", metavar="URL", help="RFC 3161 time-stamping authority for the signatures")
    p.add_argument("--scan-arg", metavar="ARG", action="append", default=[],
                   help="one more argument for the scan, e.g. --scan-arg=--waivers --scan-arg=/etc/rollready/w.yaml")
    p.set_defaults(func=run)


def build_spec(args: argparse.Namespace, today: date | None = None, host: Platform | None = None) -> ScheduleSpec:
    """The schedule the options describe, after checking that the scan can run unattended.

    Paths are written in the target platform's form. The inventory is opened only when the task
    runs on this platform; otherwise the scheduled run repeats the check itself.
    """
    host = host or host_platform()
    target: Platform = args.platform
    leaked = [a for a in args.scan_arg if a.split("=", 1)[0] in SECRET_FLAGS]
    if leaked:
        raise UsageError(f"--scan-arg {leaked[0].split('=', 1)[0]}: secrets never go on a scheduled command line; "
                         "use password_env or keyring in the inventory")
    if target == "windows" and not args.run_as:
        raise UsageError("--for windows needs --run-as: a gMSA (CORP\\gmsa-rollready$), a domain account, or SYSTEM")
    inventory = target_path(args.inventory, target, what="-i", host=host)
    out = target_path(args.out, target, what="--out", host=host)
    if target == host:
        _check_unattended_credentials(inventory, args.cluster)
    trigger = parse_daily(args.daily) if args.daily else parse_every(args.every)
    argv = ["scan", "-i", inventory, "--phase", args.phase, "--target-os", args.target_os]
    argv += ["--source-os", args.source_os] if args.source_os else []
    argv += ["--cluster", args.cluster] if args.cluster else []
    argv += ["--out", out, "--unattended"]
    argv += ["--history", _history(args.history, target, host)] if args.history or target == "windows" else []
    argv += ["--notify-cmd", args.notify_cmd] if args.notify_cmd else []
    argv += ["--notify-on", args.notify_on] if args.notify_on else []
    argv += ["--smtp-host", args.smtp_host] if args.smtp_host else []
    argv += ["--smtp-from", args.smtp_from] if args.smtp_from else []
    for rcpt in args.smtp_to:
        argv += ["--smtp-to", rcpt]
    argv += ["--smtp-starttls"] if args.smtp_starttls else []
    argv += ["--smtp-user", args.smtp_user] if args.smtp_user else []
    argv += ["--sign-key", target_path(args.sign_key, target, what="--sign-key", host=host)] if args.sign_key else []
    argv += ["--timestamp-url", args.timestamp_url] if args.timestamp_url else []
    if not any(a.split("=", 1)[0] == "--scan-timeout" for a in args.scan_arg):
        # A run that outlasts its period would only make the next one exit 75 (locked).
        period = trigger.minutes if isinstance(trigger, Every) else DAY_MINUTES
        argv += ["--scan-timeout", str(period * 60)]
    argv += args.scan_arg
    program = _program(args.rollready, target, host)
    _check_one_line([program, *argv, args.run_as or "", args.unix_user])
    name = args.name or task_name(args.inventory, args.phase)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]*", name):
        raise UsageError(f"--name {name!r}: use letters, digits and _ . @ - (it names files, units and the task)")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*\$?", args.unix_user):
        raise UsageError(f"--unix-user {args.unix_user!r} is not a user name")
    every = f"daily at {args.daily}" if args.daily else f"every {args.every}"
    sep = "\\" if target == "windows" else "/"
    log_file = sep.join((out.rstrip("\\/"), "logs", "rollready.log"))
    return ScheduleSpec(
        name=name, program=program, arguments=tuple(argv), working_dir=out, trigger=trigger,
        description=f"rollready {args.phase}-phase scan of {inventory} ({every}). Run log: {log_file}",
        start=today or date.today(), platform=target, run_as=args.run_as, unix_user=args.unix_user)


def _history(given: str | None, target: Platform, host: Platform) -> str:
    """The history the task records into: the given URL or path, else for Windows the machine-wide one."""
    if given is None:
        return machine_data_dir(target, host) + "\\history.db"
    if "://" in given and not is_windows_absolute(given):
        return given
    return target_path(given, target, what="--history", host=host)


def _check_one_line(values: list[str]) -> None:
    """A newline in a path would end a unit-file or crontab line and start a new directive."""
    for value in values:
        if any(ord(c) < 0x20 or c == "\x7f" for c in value):
            raise UsageError(f"{value!r}: control characters (newlines, tabs) cannot go into a scheduled command")


def _check_unattended_credentials(inventory: str, cluster: str | None) -> None:
    """A prompt cannot be answered at 02:00: refuse an inventory that asks for one."""
    chosen = load_inventory(inventory).select(cluster)
    prompting = sorted({n.name for n in chosen.nodes if n.credentials.password_prompt})
    if prompting:
        raise UsageError(f"{inventory}: {', '.join(prompting)} ask for a password at a prompt (password_prompt), "
                         "which an unattended run cannot answer; use password_env, keyring, or Kerberos as the "
                         "task's account")


def _program(given: str | None, target: Platform, host: Platform) -> str:
    if given:
        return target_path(given, target, what="--rollready", host=host)
    if target != host:
        example = (r"C:\Program Files\Python312\Scripts\rollready.exe" if target == "windows"
                   else "/opt/rollready/bin/rollready")
        raise UsageError(f"--for {target} from a {host} host needs --rollready: the path of rollready on the host "
                         f"that runs the task (e.g. {example})")
    found = shutil.which("rollready") or sys.argv[0]
    return os.path.abspath(found)


def run(args: argparse.Namespace) -> int:
    spec = build_spec(args)
    files = render_all(spec)
    if spec.platform != host_platform():
        print(f"rollready: note: written for {spec.platform}; the inventory was not opened here, the scheduled "
              "run checks it (a password_prompt inventory makes that run fail with one line in its log)",
              file=sys.stderr)
    if args.write:
        for name, text in files.items():
            data = text.encode("utf-16") if name.endswith(".xml") else text.encode("utf-8")
            print(write_atomic(Path(args.write) / name, data))
        return 0
    for name, text in files.items():
        print(f"# ---- {name}")
        print(text, end="" if text.endswith("\n") else "\n")
    return 0
