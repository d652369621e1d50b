"""`rollready schedule`: the scheduler entries for an unattended scan, printed or written.

    rollready schedule -i INVENTORY --phase mixed --target-os 2016 (--daily 02:00 | --every 4h) --out DIR
                       [--run-as CORP\\gmsa-rollready$] [--write DIR] [--history URL] [--notify-cmd CMD] ...

Prints (or writes into --write DIR) a Task Scheduler XML, the matching Register-ScheduledTask line,
a systemd service + timer and a crontab line. None of them carries a secret: the scan reads its
credentials from the environment or the keyring, as the inventory says.
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
from scanner.inventory import load_inventory
from scanner.schedule import ScheduleSpec, parse_daily, parse_every, render_all
from scanner.schedule.notify import NOTIFY_WHEN
from scanner.schedule.spec import absolute, task_name

SECRET_FLAGS = ("--password", "--password-prompt", "--smtp-password")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedule", help="Task Scheduler / systemd / cron entries for unattended scans",
        description="Print (or --write) a Task Scheduler XML, a Register-ScheduledTask line, a systemd service "
                    "and timer, and a crontab line that run `rollready scan --unattended` on a schedule. "
                    "No password is ever part of them: credentials come from the environment or the keyring.")
    p.add_argument("-i", "--inventory", required=True, metavar="FILE", help="the inventory the scan reads")
    p.add_argument("--cluster", metavar="NAME", help="the cluster to scan when the inventory holds several")
    add_upgrade_options(p, required=True)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--daily", metavar="HH:MM", help="once a day at this local time")
    when.add_argument("--every", metavar="N(m|h)", help="every N minutes or hours (dividing a day evenly)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder that receives one folder per run")
    p.add_argument("--write", metavar="DIR", help="write the files here instead of printing them")
    p.add_argument("--run-as", metavar="ACCOUNT",
                   help="Windows account of the task: a gMSA (CORP\\gmsa-rollready$) or a dedicated domain "
                        "account; needed for the Task Scheduler outputs")
    p.add_argument("--unix-user", default="rollready", metavar="USER", help="systemd User= (default rollready)")
    p.add_argument("--name", metavar="NAME", help="task/unit name (default rollready-<inventory>-<phase>)")
    p.add_argument("--rollready", metavar="PATH", help="the rollready program on the host that runs the task "
                                                      "(default: the one running now)")
    p.add_argument("--history", metavar="URL|PATH", help="history database the runs are recorded in")
    p.add_argument("--notify-cmd", metavar="COMMAND", help="passed on to the scan (see rollready scan --help)")
    p.add_argument("--notify-on", choices=NOTIFY_WHEN, help="passed on to the scan")
    p.add_argument("--smtp-host", metavar="HOST[:PORT]")
    p.add_argument("--smtp-from", metavar="ADDRESS")
    p.add_argument("--smtp-to", metavar="ADDRESS", action="append", default=[])
    p.add_argument("--smtp-starttls", action="store_true")
    p.add_argument("--smtp-user", metavar="NAME", help="relay login; its password stays in env or keyring")
    p.add_argument("--scan-arg", metavar="ARG", action="append", default=[],
                   help="one more argument for the scan, e.g. --scan-arg=--waivers --scan-arg=/etc/rollready/w.yaml")
    p.set_defaults(func=run)


def build_spec(args: argparse.Namespace, today: date | None = None) -> ScheduleSpec:
    """The schedule the options describe, after checking that the scan can run unattended."""
    leaked = [a for a in args.scan_arg if a.split("=", 1)[0] in SECRET_FLAGS]
    if leaked:
        raise UsageError(f"--scan-arg {leaked[0]}: secrets never go on a scheduled command line; "
                         "use password_env or keyring in the inventory")
    _check_unattended_credentials(args.inventory, args.cluster)
    trigger = parse_daily(args.daily) if args.daily else parse_every(args.every)
    inventory, out = absolute(args.inventory), absolute(args.out)
    argv = ["scan", "-i", inventory, "--phase", args.phase, "--target-os", args.target_os]
    argv += ["--source-os", args.source_os] if args.source_os else []
    argv += ["--cluster", args.cluster] if args.cluster else []
    argv += ["--out", out, "--unattended"]
    argv += ["--history", args.history if "://" in args.history else absolute(args.history)] if args.history else []
    argv += ["--notify-cmd", args.notify_cmd] if args.notify_cmd else []
    argv += ["--notify-on", args.notify_on] if args.notify_on else []
    argv += ["--smtp-host", args.smtp_host] if args.smtp_host else []
    argv += ["--smtp-from", args.smtp_from] if args.smtp_from else []
    for rcpt in args.smtp_to:
        argv += ["--smtp-to", rcpt]
    argv += ["--smtp-starttls"] if args.smtp_starttls else []
    argv += ["--smtp-user", args.smtp_user] if args.smtp_user else []
    argv += args.scan_arg
    program = _program(args.rollready)
    _check_one_line([program, *argv, args.run_as or "", args.unix_user])
    name = args.name or task_name(args.inventory, args.phase)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]*", name):
        raise UsageError(f"--name {name!r}: use letters, digits and _ . @ - (it names files, units and the task)")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*\$?", args.unix_user):
        raise UsageError(f"--unix-user {args.unix_user!r} is not a user name")
    every = f"daily at {args.daily}" if args.daily else f"every {args.every}"
    return ScheduleSpec(
        name=name, program=program, arguments=tuple(argv), working_dir=out, trigger=trigger,
        description=f"rollready {args.phase}-phase scan of {Path(inventory).name} ({every})",
        start=today or date.today(), run_as=args.run_as, unix_user=args.unix_user)


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


def _program(given: str | None) -> str:
    if given:
        return absolute(given)
    found = shutil.which("rollready") or sys.argv[0]
    return os.path.abspath(found)


def run(args: argparse.Namespace) -> int:
    spec = build_spec(args)
    files = render_all(spec)
    if not spec.run_as:
        print("rollready: note: no --run-as account, so no Task Scheduler XML or Register-ScheduledTask line",
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
