"""`rollready watch`: a light look at ownership every few minutes during mixed mode, alerting at once."""
from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta

from scanner.cli.common import cli_resolver
from scanner.cli.numbers import whole
from scanner.cli.unattended_args import add_notify_arguments, notifier_from_args
from scanner.errors import UsageError
from scanner.facts.document import load_facts
from scanner.facts.view import build_view
from scanner.history import HistoryStore
from scanner.inert import inert
from scanner.inventory import load_inventory
from scanner.schedule.notify import Notification, Notifier
from scanner.times import format_utc, utc_now
from scanner.watch import Alert, evaluate, look

MIXED_MODE_DAYS = 28  # Microsoft: finish the rolling upgrade within about four weeks
EXIT_ALERTS = 1


DESCRIPTION = ("Every --every, read the cluster's members, role owners and the possible owners of every disk "
               "from one node (a light script, not the collector) and alert when a deduplicated volume is "
               "owned by, or may move to, an older-OS node, when a node leaves the Up state, or when mixed "
               "mode is past its planned end. Each new alert is printed, notified and recorded in the history.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--inventory", required=True, metavar="FILE")
    p.add_argument("--cluster", metavar="NAME", help="the cluster, when the inventory holds several")
    p.add_argument("--every", default="5m", metavar="N(s|m|h)", help="time between looks (default 5m, at least 10s)")
    p.add_argument("--count", type=whole(1, 1_000_000_000), metavar="N", help="stop after N looks (default: until Ctrl-C)")
    p.add_argument("--once", action="store_true", help="one look, then exit (1 when an alert is raised)")
    p.add_argument("--facts", metavar="FACTS.json",
                   help="the last full scan's facts: which disks carry deduplicated volumes")
    p.add_argument("--dedup", metavar="RESOURCE", action="append", default=[],
                   help="a deduplicated disk resource (repeatable), in addition to those in --facts")
    p.add_argument("--planned-end", metavar="YYYY-MM-DD",
                   help="when mixed mode must be over (default: 28 days after the history's mixed-mode start)")
    group = p.add_argument_group("alerts")
    group.add_argument("--history", metavar="URL|PATH", help="history database the alerts are recorded in")
    add_notify_arguments(group)
    p.set_defaults(func=run)


def parse_interval(text: str) -> float:
    match = re.fullmatch(r"(\d+)\s*([smh])", text.strip().lower())
    seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]] if match else 0
    if seconds < 10:
        raise UsageError(f"--every {text}: give an interval of at least 10s (e.g. 30s, 5m, 1h)")
    return float(seconds)


def run(args: argparse.Namespace) -> int:
    interval = parse_interval(args.every)
    cluster = load_inventory(args.inventory).select(args.cluster)
    dedup = set(args.dedup)
    if args.facts:
        scanned = build_view(load_facts(args.facts))
        dedup |= {v["name"] for v in scanned.volumes or [] if (found := v.get("dedup")) and found.get("enabled")}
    if not dedup:
        print("rollready: note: no deduplicated volume known (give --facts from the last scan, or --dedup); "
              "only node state and mixed-mode age are watched", file=sys.stderr)
    notifier = notifier_from_args(args)
    if notifier is not None:
        notifier = replace(notifier, when="always")  # every alert is new by construction (below)
    resolver = cli_resolver()
    store = HistoryStore.open(args.history)
    planned_end = _planned_end(args.planned_end, store, cluster.name)
    raised: set[tuple[str, str]] = set()
    looks = 1 if args.once else args.count
    done = 0
    any_alert = False
    try:
        while looks is None or done < looks:
            if done:
                time.sleep(interval)
            done += 1
            now = utc_now()
            view, problems = look(cluster, resolver)
            if view is None:
                alerts = [Alert("unreachable", cluster.name, "no node answered: " + "; ".join(problems))]
            else:
                mixed_since = store.first_mixed_mode_seen(view["cluster"])
                alerts = evaluate(view, dedup, planned_end=planned_end, mixed_since=mixed_since, now=now)
            current = {a.key for a in alerts}
            new = [a for a in alerts if a.key not in raised]
            for alert in new:
                _raise(alert, cluster.name, now, store, notifier)
            for kind, subject in sorted(raised - current):
                print(f"{format_utc(now)} cleared: {inert(kind)} {inert(subject)}")
            raised = current
            any_alert = any_alert or bool(alerts)
            if not alerts:
                print(f"{format_utc(now)} {inert(cluster.name)}: nothing to report")
    except KeyboardInterrupt:
        print("rollready: watch stopped", file=sys.stderr)
    finally:
        store.close()
    return EXIT_ALERTS if any_alert else 0


def _planned_end(text: str | None, store: HistoryStore, cluster: str) -> datetime | None:
    if text:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=utc_now().tzinfo) + timedelta(days=1)
        except ValueError:
            raise UsageError(f"--planned-end {text}: give a date as YYYY-MM-DD") from None
    since = store.first_mixed_mode_seen(cluster)
    return since + timedelta(days=MIXED_MODE_DAYS) if since else None


def _raise(alert: Alert, cluster: str, now: datetime, store: HistoryStore, notifier: Notifier | None) -> None:
    print(f"{format_utc(now)} ALERT {inert(alert.kind)}: {inert(alert.message)}")
    store.record_alert(cluster, alert.kind, alert.subject, alert.message, now)
    if notifier is None:
        return
    note = Notification(cluster=cluster, verdict="ALERT", previous_verdict=None, exit_code=EXIT_ALERTS,
                        report_path=str(store.location), reason=alert.message, scanned_at=format_utc(now))
    for failure in notifier.send(note):
        print(f"rollready: warning: notification failed: {inert(failure)}", file=sys.stderr)
