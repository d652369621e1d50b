"""`rollready history`: the recorded scans, one run in detail, drift between two runs, retention.

    rollready history list [--cluster NAME] [--limit N] [--format text|json]
    rollready history show RUN [--format text|json]
    rollready history drift [RUN_A] [RUN_B] [--cluster NAME] [--format text|json] [--html F] [--pdf F]
    rollready history prune --keep N | --keep-days D
    rollready history check [--recreate]
    rollready history fleet [--last N] [--format text|json] [--out F] [--html F] [--pdf F]

RUN is a run id, `latest` or `latest~N`. Every sub-command takes --history URL|PATH.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scanner import exitcodes
from scanner.atomic import write_atomic
from scanner.cli.common import write_output
from scanner.cli.numbers import number, whole
from scanner.errors import InputError, Problem, UsageError
from scanner.history import HistoryStore, compute_drift
from scanner.history.db import resolve_location
from scanner.history.fleet import DEFAULT_TREND, history_fleet
from scanner.history.render import render_fleet_text, render_html, render_pdf, render_run, render_runs, render_text
from scanner.history.store import StorageError
from scanner.report.fleet import write_fleet

DESCRIPTION = ("The scan history (SQLite; default $ROLLREADY_HISTORY or "
               "~/.local/share/rollready/history.db).")


def register(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="history_action", metavar="ACTION", parser_class=type(p))
    actions.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--history", metavar="URL|PATH", help="history database: sqlite:///PATH or a path")
    common.add_argument("--cluster", metavar="NAME", help="only this cluster's runs")

    ls = actions.add_parser("list", parents=[common], help="recorded runs, newest first")
    ls.add_argument("--limit", type=whole(1, 1_000_000), default=50, metavar="N", help="at most N runs (default 50)")
    ls.add_argument("--format", choices=["text", "json"], default="text")
    ls.set_defaults(func=run_list)

    show = actions.add_parser("show", parents=[common], help="one run with its findings and nodes")
    show.add_argument("run", metavar="RUN", help="run id, latest or latest~N")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(func=run_show)

    drift = actions.add_parser("drift", parents=[common], help="what changed between two runs",
                               description="New failures, resolved failures, other status changes, verdict "
                                           "change and nodes that changed OS between RUN_A (older) and RUN_B. "
                                           "Default: the latest run against the one before it of the same cluster.")
    drift.add_argument("run_a", nargs="?", metavar="RUN_A", help="the older run (default: the one before RUN_B)")
    drift.add_argument("run_b", nargs="?", metavar="RUN_B", help="the newer run (default: latest)")
    _add_outputs(drift, "the drift")
    drift.set_defaults(func=run_drift)

    fleet = actions.add_parser("fleet", parents=[common], help="the fleet dashboard: every cluster's latest run",
                               description="Every cluster's latest recorded verdict, the trend over its last N "
                                           "runs, its mixed-mode clock and the drift against its run before, as "
                                           "text or the fleet document (schemas/fleet.schema.json), HTML and PDF.")
    fleet.add_argument("--last", type=whole(1, 10_000), default=DEFAULT_TREND, metavar="N",
                       help=f"runs in each cluster's trend (default {DEFAULT_TREND})")
    _add_outputs(fleet, "the dashboard", pdf_note=" (fleet.json attached)")
    fleet.set_defaults(func=run_fleet)

    prune = actions.add_parser("prune", parents=[common], help="delete old runs (retention)",
                               description="Delete runs no rule keeps: a run survives if it is among the newest "
                                           "N of its cluster or newer than D days. The newest run of each "
                                           "cluster and the mixed-mode clock always survive.")
    prune.add_argument("--keep", type=whole(1, 1_000_000), metavar="N", help="keep the newest N runs of each cluster")
    prune.add_argument("--keep-days", type=number(0, 36_500, unit="days"), metavar="D", help="keep runs newer than D days")
    prune.set_defaults(func=run_prune)

    check = actions.add_parser("check", parents=[common], help="is the history sound, and how to recover if not",
                               description="Open the history and run SQLite's integrity check. A damaged history "
                                           "never blocks a scan (it runs unrecorded); --recreate moves the damaged "
                                           "file aside (kept as FILE.damaged-<UTC time>) and starts an empty one.")
    check.add_argument("--recreate", action="store_true",
                       help="if damaged: keep the old file under a new name and create an empty history")
    check.set_defaults(func=run_check)


def _add_outputs(p: argparse.ArgumentParser, what: str, *, pdf_note: str = "") -> None:
    """--format/--out for the text or JSON, and --html/--pdf for the rendered document."""
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--out", metavar="FILE", help="write the text or JSON here instead of stdout")
    p.add_argument("--html", metavar="FILE", help=f"also write {what} as HTML")
    p.add_argument("--pdf", metavar="FILE", help=f"also write {what} as PDF{pdf_note}")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def run_list(args: argparse.Namespace) -> int:
    with HistoryStore.open(args.history) as store:
        runs = store.runs(cluster=args.cluster, limit=args.limit)
    write_output(None, _json([r.to_dict() for r in runs]) if args.format == "json" else render_runs(runs))
    return exitcodes.GO


def run_show(args: argparse.Namespace) -> int:
    with HistoryStore.open(args.history) as store:
        run = store.get(args.run, cluster=args.cluster)
    write_output(None, _json(run.to_dict()) if args.format == "json" else render_run(run))
    return exitcodes.GO


def run_drift(args: argparse.Namespace) -> int:
    with HistoryStore.open(args.history) as store:
        b = store.get(args.run_b or "latest", cluster=args.cluster)
        if args.run_a:
            a = store.get(args.run_a, cluster=args.cluster)
        else:
            before = store.previous(b)
            if before is None:
                raise InputError([Problem(f"run {b.id} is the first recorded run of {b.cluster}; nothing to "
                                          "compare it with", file=str(store.location))])
            a = store.get(before.id)
    if a.scanned_at > b.scanned_at:
        a, b = b, a  # drift always reads older → newer
    drift = compute_drift(a, b)
    write_output(args.out, _json(drift.to_dict()) if args.format == "json" else render_text(drift))
    if args.html:
        write_atomic(args.html, render_html(drift))
    if args.pdf:
        write_atomic(args.pdf, render_pdf(drift))
    return exitcodes.GO


def run_fleet(args: argparse.Namespace) -> int:
    with HistoryStore.open(args.history) as store:
        doc = history_fleet(store, last=args.last, clusters=[args.cluster] if args.cluster else None)
    text = _json(doc) if args.format == "json" else render_fleet_text(doc)
    write_output(args.out, text)
    write_fleet(doc, html=Path(args.html) if args.html else None, pdf=Path(args.pdf) if args.pdf else None)
    return exitcodes.GO


def run_prune(args: argparse.Namespace) -> int:
    if args.keep is None and args.keep_days is None:
        raise UsageError("history prune needs --keep N and/or --keep-days D")
    with HistoryStore.open(args.history) as store:
        removed = store.prune(keep=args.keep, keep_days=args.keep_days)
    print(f"pruned {removed} run{'s' if removed != 1 else ''}")
    return exitcodes.GO


def run_check(args: argparse.Namespace) -> int:
    location = resolve_location(args.history)
    if isinstance(location, str):  # PostgreSQL: the server keeps its own integrity; check that it answers
        if args.recreate:
            raise UsageError("--recreate replaces a damaged SQLite file; a PostgreSQL history is repaired on its server")
        with HistoryStore.open(location) as shared:
            shared.check()
            runs = len(shared.runs())
        print(f"ok: {shared.location} answers ({runs} run{'s' if runs != 1 else ''})")
        return exitcodes.GO
    if not location.exists():
        print(f"no history at {location} yet: the next scan creates it")
        return exitcodes.GO
    store, problem = HistoryStore.open_for_scan(location)
    if store is not None:
        with store:
            try:
                found = store.check()
                runs = len(store.runs())
            except StorageError as exc:
                found, runs = [str(exc)], 0
        if not found:
            print(f"ok: {location} is sound ({runs} run{'s' if runs != 1 else ''})")
            return exitcodes.GO
        problem = "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
    if args.recreate:
        kept = HistoryStore.set_aside(location)
        HistoryStore.open(location).close()
        print(f"moved the damaged history to {kept} (kept, not read again); a new empty history is at {location}")
        return exitcodes.GO
    raise InputError([Problem(
        f"history is damaged: {problem}. Scans still run but are not recorded. To recover: "
        f"rollready history check --recreate --history {location} (keeps the old file as "
        f"{location.name}.damaged-<UTC time> beside it, starts an empty history; its runs are not carried over)",
        file=str(location))])
