"""`rollready scan`: collect clusters over WinRM, evaluate them, write facts, findings and reports.

    rollready scan -i INVENTORY [--phase pre|mixed|post] --target-os T --out DIR [--parallel N] [--cluster NAME ...]
    rollready scan --node HOST [--node HOST ...] --auth ntlm --username U --password-env VAR ...

One cluster: writes DIR/facts.json, DIR/findings.json, DIR/report.html, DIR/report.pdf. Several (an
inventory without --cluster, or --cluster repeated): the same in DIR/<cluster>/ for each, plus
DIR/fleet.json, DIR/fleet.html, DIR/fleet.pdf, with --parallel the node budget of the whole fleet.
Exits with the (worst) verdict's code (0 GO, 1 GO WITH WARNINGS, 2 NO-GO, 3 INCOMPLETE); 130 when
interrupted (the partial facts and reports are still written).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanner import exitcodes
from scanner.cli.common import (
    add_rule_options,
    add_signing_options,
    add_upgrade_options,
    cli_resolver,
    rule_options,
    signing_key,
)
from scanner.cli.notices import print_warning
from scanner.cli.numbers import number, whole
from scanner.cli.progress import Progress
from scanner.cli.unattended_args import add_arguments as add_unattended_arguments
from scanner.cli.unattended_args import run_from_args
from scanner.collect.deadline import UNATTENDED_SCAN_TIMEOUT, Deadlines
from scanner.collect.scan import DEFAULT_PARALLEL, ScanMeta
from scanner.errors import UsageError
from scanner.history import HistoryStore
from scanner.history.store import RECOVERY_HINT, StorageError
from scanner.inert import inert
from scanner.inventory import (
    AUTH_METHODS,
    Cluster,
    CredentialRef,
    Transport,
    inventory_for_hosts,
    load_inventory,
)
from scanner.pipeline import (
    FleetOutcome,
    ReportOptions,
    ScanOptions,
    ScanOutcome,
    record,
    scan_and_report,
    scan_fleet_and_report,
)
from scanner.schedule.unattended import RunOutcome

DESCRIPTION = ("Collect every node of a cluster over WinRM/PSRP, evaluate the rules, and write "
               "facts.json, findings.json, report.html and report.pdf. With several clusters (an "
               "inventory without --cluster, or --cluster repeated) each goes to OUT/<cluster>/ and "
               "OUT/fleet.json, fleet.html and fleet.pdf index them. Exits with the (worst) verdict code.")

MAX_PARALLEL = 100_000
TIMEOUT = number(0, 7 * 86400, above_low=True, unit="seconds")  # up to a week


def register(p: argparse.ArgumentParser) -> None:
    add_target_options(p)
    add_upgrade_options(p, required=True, phase_required=False)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for facts.json, findings.json, report.html, report.pdf (a fleet: one folder per cluster; "
                        "with --unattended: one folder per run under it)")
    add_rule_options(p)
    p.add_argument("--no-pdfa", action="store_true", help="plain PDF instead of PDF/A-3b")
    p.add_argument("--plan", action="store_true",
                   help="also write the upgrade plan (plan.html, plan.pdf, runbook.ps1) into OUT/plan/ for each "
                        "cluster, as `rollready plan` would from its facts; a plan that cannot be made is one warning")
    add_signing_options(p)
    add_unattended_arguments(p)
    p.set_defaults(func=run)


def add_target_options(p: argparse.ArgumentParser) -> None:
    """Which nodes and how to reach them: an inventory, or --node flags with transport options."""
    where = p.add_argument_group("targets")
    where.add_argument("-i", "--inventory", metavar="FILE", help="rollready YAML inventory or an Ansible inventory (INI or YAML)")
    where.add_argument("--node", action="append", metavar="HOST[:PORT]", help="scan this node (repeatable) instead of an inventory")
    where.add_argument("--cluster", metavar="NAME", action="append", default=[],
                       help="scan only this cluster (inventory group); repeatable; default: every cluster of the inventory")
    where.add_argument("--parallel", type=whole(1, MAX_PARALLEL), default=DEFAULT_PARALLEL, metavar="N",
                       help=f"nodes collected at once, across all clusters of a fleet (default {DEFAULT_PARALLEL})")
    where.add_argument("--node-timeout", type=TIMEOUT, metavar="SECONDS",
                       help="wall-clock deadline per node, from connect to the last byte (default: the inventory's "
                            "transport.node_timeout, 600); a node past it is reported and the scan goes on")
    where.add_argument("--scan-timeout", type=TIMEOUT, metavar="SECONDS",
                       help="wall-clock deadline for collecting the whole cluster, or the whole fleet (default: none; "
                            f"with --unattended {UNATTENDED_SCAN_TIMEOUT // 3600} h); nodes not collected by then are reported")
    node = p.add_argument_group("--node transport (an inventory carries its own)")
    node.add_argument("--scheme", choices=["http", "https"], default="https")
    node.add_argument("--port", type=whole(1, 65535), help="default 5985 for http, 5986 for https")
    node.add_argument("--auth", choices=AUTH_METHODS, default="negotiate")
    node.add_argument("--username", help="e.g. CORP\\svc-rollready")
    secret = node.add_mutually_exclusive_group()
    secret.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    secret.add_argument("--password-prompt", action="store_true", help="ask for the password")
    secret.add_argument("--keyring", metavar="SERVICE", help="read the password from the OS keyring")
    node.add_argument("--ca-bundle", metavar="PEM", help="verify the nodes' TLS certificates against this CA bundle")
    node.add_argument("--insecure", action="store_true", help="do NOT verify TLS certificates (loudly warned)")
    node.add_argument("--certificate-pem", metavar="PEM", help="client certificate (--auth certificate)")
    node.add_argument("--certificate-key-pem", metavar="PEM", help="its private key (--auth certificate)")


def deadlines(args: argparse.Namespace) -> Deadlines:
    """--node-timeout and --scan-timeout; an unattended run always gets a scan deadline."""
    scan = getattr(args, "scan_timeout", None)  # `demo` shares scan_options without these options
    if scan is None and getattr(args, "unattended", False):
        scan = float(UNATTENDED_SCAN_TIMEOUT)
    return Deadlines(node_timeout=getattr(args, "node_timeout", None), scan_timeout=scan)


NODE_ONLY = ("port", "username", "password_env", "keyring", "ca_bundle", "certificate_pem", "certificate_key_pem")


def target_clusters(args: argparse.Namespace) -> tuple[tuple[Cluster, ...], str]:
    """The clusters to scan (--cluster picks, default all) and how to name their source in the facts."""
    if bool(args.inventory) == bool(args.node):
        raise UsageError("give either -i/--inventory FILE or --node HOST")
    if args.inventory:
        used = [f"--{n.replace('_', '-')}" for n in NODE_ONLY if getattr(args, n)]
        used += [flag for flag, on in (("--insecure", args.insecure), ("--password-prompt", args.password_prompt)) if on]
        if used:
            raise UsageError(f"{', '.join(used)} only apply with --node; an inventory carries its own transport")
        return load_inventory(args.inventory).pick(args.cluster), str(args.inventory)
    if args.insecure and args.ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other")
    if len(args.cluster) > 1:
        raise UsageError("--node scans one cluster: give --cluster once")
    validation: bool | str = False if args.insecure else (args.ca_bundle or True)
    transport = Transport(scheme=args.scheme, port=args.port, auth=args.auth, cert_validation=validation)
    credentials = CredentialRef(username=args.username, password_env=args.password_env,
                                password_prompt=args.password_prompt, keyring=args.keyring,
                                certificate_pem=args.certificate_pem, certificate_key_pem=args.certificate_key_pem)
    hosts = inventory_for_hosts(args.node, transport=transport, credentials=credentials,
                                cluster=args.cluster[0] if args.cluster else None)
    return hosts.clusters, "--node"


def target_cluster(args: argparse.Namespace) -> tuple[Cluster, str]:
    """The one cluster a single-cluster command works on."""
    clusters, source = target_clusters(args)
    if len(clusters) > 1:
        names = ", ".join(c.name for c in clusters)
        raise UsageError(f"{source}: holds {len(clusters)} clusters ({names}); choose one with --cluster NAME")
    return clusters[0], source


def scan_options(args: argparse.Namespace, meta: ScanMeta, *, parallel: int | None = None) -> ScanOptions:
    """The pipeline options this command's arguments describe."""
    # an unattended run has no terminal: the signing password must come from the environment
    sign = signing_key(args, interactive=not getattr(args, "unattended", False))
    return ScanOptions(meta=meta, rules=rule_options(args), reports=ReportOptions(pdfa=not args.no_pdfa, sign=sign),
                       parallel=parallel or args.parallel, display=Progress, deadlines=deadlines(args))


def _plan_for(outcome: ScanOutcome, folder: Path, target_os: str) -> None:
    """`--plan`: the plan from this scan's facts; a refusal or a missing PDF library is a warning,
    never a change of the scan's verdict or exit code."""
    from scanner.cli.plan_cmd import write_plan
    from scanner.errors import RollreadyError

    try:
        write_plan(outcome.facts, target_os, folder / "plan", source=str(folder / "facts.json"), view=outcome.view)
    except RollreadyError as exc:
        print_warning(f"no upgrade plan for {folder}: {exc}")


def print_summary(outcome: ScanOutcome, cluster: str) -> None:
    """The verdict, the nodes that could not be collected, and where everything went."""
    verdict = outcome.result["verdict"]
    print(inert(f"{cluster}: {verdict['status']} — {verdict['reason']}"))
    for node in outcome.scan.facts["nodes"]:  # as collected
        if not node.get("reachable"):
            err = (node.get("errors") or [{"section": "?", "message": "not collected"}])[0]
            print(f"  {inert(node['name'])}: not collected ({inert(err['section'])}: {inert(err['message'])})")
    if outcome.scan.partial:
        print("  the scan was interrupted: these facts are partial")
    for key in ("html", "pdf", "findings", "facts"):
        if key in outcome.paths:
            print(f"  {key + ':':<9} {outcome.paths[key]}")
    sys.stdout.flush()


def print_fleet_summary(outcome: FleetOutcome, out: Path) -> None:
    """The fleet verdict, one line per cluster (nodes not collected counted, not listed; a cluster not
    evaluated: its one-line error instead of a folder), the files."""
    verdict = outcome.document["verdict"]
    print(f"fleet: {verdict['status']} — {verdict['reason']}")
    width = max(len(r["name"]) for r in outcome.document["clusters"])
    folders = iter(outcome.folders)  # the evaluated clusters', in the rows' order
    for row in outcome.document["clusters"]:
        head = f"  {inert(row['name']):<{width}}  {row['verdict']:<16}"
        if row.get("error"):
            print(f"{head}  not evaluated: {inert(row['error'])}")
            continue
        nodes = row["nodes"]
        missing = f" ({nodes['total'] - nodes['collected']} of {nodes['total']} nodes not collected)" \
            if nodes["collected"] < nodes["total"] else ""
        print(f"{head}  {out / next(folders)}{missing}")
    if outcome.partial:
        print("  the scan was interrupted: some clusters' facts are partial")
    for key, path in outcome.paths.items():
        print(f"  {'fleet.' + key + ':':<12} {path}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    clusters, source = target_clusters(args)
    meta = ScanMeta(method="winrm", phase=args.phase, target_os=args.target_os, source_os=args.source_os, inventory=source,
                    command_line=tuple(getattr(args, "command_line", ())))
    options = scan_options(args, meta)
    if args.unattended:
        if len(clusters) > 1:
            raise UsageError(f"{source}: --unattended scans one cluster; schedule one run per cluster with --cluster "
                             f"NAME ({', '.join(c.name for c in clusters)})")
        resolver = cli_resolver(interactive=False)  # a scheduled run cannot answer a prompt

        def do_scan(run_dir: Path, store: HistoryStore | None) -> RunOutcome:
            done = scan_and_report(clusters[0], run_dir, options, resolver=resolver, history=store)
            return RunOutcome(done.result, done.facts, done.facts_bytes, done.paths.get("html"))

        return run_from_args(args, do_scan)
    out = Path(args.out)
    resolver = cli_resolver()
    store, unavailable = HistoryStore.open_for_scan(args.history)
    if unavailable:  # the history never blocks a scan
        print_warning(f"history not available, this scan is not recorded: {unavailable}; {RECOVERY_HINT}")
    recording = store is not None

    def finish(one: ScanOutcome, folder: Path) -> None:
        """Each cluster as soon as its files are written: its history record, its plan (--plan)."""
        nonlocal recording
        if recording and store is not None:
            try:
                record(store, one, folder)
            except StorageError as exc:
                recording = False
                print_warning(f"history not written, this scan is not recorded: {' '.join(str(exc).split())}; {RECOVERY_HINT}")
        if getattr(args, "plan", False):
            _plan_for(one, folder, args.target_os)

    try:
        if len(clusters) > 1:
            fleet = scan_fleet_and_report(clusters, out, options, resolver=resolver, history=store, each=finish)
        else:
            outcome = scan_and_report(clusters[0], out, options, resolver=resolver, history=store)
            finish(outcome, out)
    finally:
        if store is not None:
            store.close()
    if len(clusters) > 1:
        print_fleet_summary(fleet, out)
        return exitcodes.INTERRUPTED if fleet.partial else fleet.exit_code
    print_summary(outcome, clusters[0].name)
    if outcome.scan.partial:
        return exitcodes.INTERRUPTED
    return int(outcome.result["verdict"]["exit_code"])
