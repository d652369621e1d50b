"""The options of `rollready scan --unattended`, turned into run_unattended()'s arguments."""
from __future__ import annotations

import argparse
import os
import shlex

from scanner.errors import UsageError
from scanner.inventory.address import split_host_port
from scanner.schedule.notify import NOTIFY_WHEN, Notifier, SmtpSettings
from scanner.schedule.unattended import DoScan, run_unattended


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `rollready scan` offers for unattended runs (its own --out names the folder)."""
    group = parser.add_argument_group("unattended runs")
    group.add_argument("--unattended", action="store_true",
                       help="lock, log to OUT/logs, write into a timestamped folder under --out, refresh "
                            "OUT/latest, record in the history and notify; exit 75 if a run is still going")
    group.add_argument("--history", metavar="URL|PATH",
                       help="history database (sqlite:///PATH or a path; default $ROLLREADY_HISTORY or "
                            "~/.local/share/rollready/history.db)")
    add_notify_arguments(group)


def add_notify_arguments(group: argparse._ArgumentGroup) -> None:
    """Where notifications go: shared by scheduled scans and `rollready watch`."""
    group.add_argument("--notify-cmd", metavar="COMMAND",
                       help="program (with its own arguments) run with the verdict and report path appended; "
                            "no shell is involved")
    group.add_argument("--notify-on", choices=NOTIFY_WHEN, default="change",
                       help="when to notify: verdict change (default), always, or whenever not GO")
    group.add_argument("--smtp-host", metavar="HOST[:PORT]", help="mail relay for notifications")
    group.add_argument("--smtp-from", metavar="ADDRESS", help="sender address")
    group.add_argument("--smtp-to", metavar="ADDRESS", action="append", default=[], help="recipient (repeatable)")
    group.add_argument("--smtp-starttls", action="store_true", help="use STARTTLS (certificate verified)")
    group.add_argument("--smtp-user", metavar="NAME",
                       help="relay login; password from ROLLREADY_SMTP_PASSWORD or keyring (rollready-smtp)")


def notifier_from_args(args: argparse.Namespace) -> Notifier | None:
    """Build the Notifier the options describe; None when no channel is configured."""
    try:
        command = tuple(shlex.split(args.notify_cmd, posix=os.name != "nt")) if args.notify_cmd else ()
    except ValueError as exc:  # an unbalanced quote
        raise UsageError(f"--notify-cmd: {exc} (quote it as a shell would)") from None
    smtp = None
    if args.smtp_host:
        if not args.smtp_from or not args.smtp_to:
            raise UsageError("--smtp-host needs --smtp-from and at least one --smtp-to")
        try:
            host, port = split_host_port(args.smtp_host)
        except ValueError:
            raise UsageError(f"--smtp-host {args.smtp_host}: give HOST, HOST:PORT or [IPv6]:PORT with a port "
                             "from 1 to 65535") from None
        smtp = SmtpSettings(host=host, port=port or 25, sender=args.smtp_from, recipients=tuple(args.smtp_to),
                            starttls=args.smtp_starttls, username=args.smtp_user)
    if not command and smtp is None:
        return None
    return Notifier(command=command, smtp=smtp, when=args.notify_on)


def run_from_args(args: argparse.Namespace, do_scan: DoScan) -> int:
    """What `rollready scan --unattended` calls: run_unattended with the options above."""
    if not getattr(args, "out", None):
        raise UsageError("--unattended needs --out DIR (the folder that receives one folder per run)")
    return run_unattended(args.out, do_scan, history=args.history, notifier=notifier_from_args(args))
