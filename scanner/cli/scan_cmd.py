"""`rollready scan`: collect a cluster over WinRM, evaluate it, write facts, findings and reports.

    rollready scan -i INVENTORY --phase pre|mixed|post --target-os T --out DIR [--parallel N] [--cluster NAME]
    rollready scan --node HOST [--node HOST ...] --auth ntlm --username U --password-env VAR ...

Writes DIR/facts.json, DIR/findings.json, DIR/report.html, DIR/report.pdf and exits with the verdict's
code (0 GO, 1 GO WITH WARNINGS, 2 NO-GO, 3 INCOMPLETE); 130 when interrupted (the partial facts and
reports are still written).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner import exitcodes, unattended
from scanner.atomic import write_atomic
from scanner.cli.common import add_rule_options, add_upgrade_options, load_pack_and_catalogs
from scanner.collect.scan import DEFAULT_PARALLEL, ScanMeta, ScanResult, scan_cluster
from scanner.credentials import CredentialResolver
from scanner.engine.run import evaluate_facts
from scanner.errors import UsageError
from scanner.history import HistoryStore, mixed_mode_clock
from scanner.inventory import (
    AUTH_METHODS,
    Cluster,
    CredentialRef,
    Transport,
    inventory_for_hosts,
    load_inventory,
)
from scanner.report import write_reports

FILES = {"facts": "facts.json", "findings": "findings.json", "html": "report.html", "pdf": "report.pdf"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan a cluster over WinRM and write facts, findings and reports",
                       description="Collect every node of a cluster over WinRM/PSRP, evaluate the rules, and write "
                                   "facts.json, findings.json, report.html and report.pdf. Exits with the verdict code.")
    add_target_options(p)
    add_upgrade_options(p, required=True)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for facts.json, findings.json, report.html, report.pdf (with --unattended: one folder per run under it)")
    add_rule_options(p)
    p.add_argument("--no-pdfa", action="store_true", help="plain PDF instead of PDF/A-3b")
    unattended.add_arguments(p)
    p.set_defaults(func=run)


def add_target_options(p: argparse.ArgumentParser) -> None:
    """Which nodes and how to reach them: an inventory, or --node flags with transport options."""
    where = p.add_argument_group("targets")
    where.add_argument("-i", "--inventory", metavar="FILE", help="rollready YAML inventory or an Ansible inventory (INI or YAML)")
    where.add_argument("--node", action="append", metavar="HOST[:PORT]", help="scan this node (repeatable) instead of an inventory")
    where.add_argument("--cluster", metavar="NAME", help="the cluster (inventory group) to scan when there are several")
    where.add_argument("--parallel", type=_positive, default=DEFAULT_PARALLEL, metavar="N",
                       help=f"nodes collected at once (default {DEFAULT_PARALLEL})")
    node = p.add_argument_group("--node transport (an inventory carries its own)")
    node.add_argument("--scheme", choices=["http", "https"], default="https")
    node.add_argument("--port", type=int, help="default 5985 for http, 5986 for https")
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


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


NODE_ONLY = ("port", "username", "password_env", "keyring", "ca_bundle", "certificate_pem", "certificate_key_pem")


def target_cluster(args: argparse.Namespace) -> tuple[Cluster, str]:
    """The cluster to scan and how to name its source in the facts."""
    if bool(args.inventory) == bool(args.node):
        raise UsageError("give either -i/--inventory FILE or --node HOST")
    if args.inventory:
        used = [f"--{n.replace('_', '-')}" for n in NODE_ONLY if getattr(args, n)]
        used += [flag for flag, on in (("--insecure", args.insecure), ("--password-prompt", args.password_prompt)) if on]
        if used:
            raise UsageError(f"{', '.join(used)} only apply with --node; an inventory carries its own transport")
        return load_inventory(args.inventory).select(args.cluster), str(args.inventory)
    if args.insecure and args.ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other")
    validation: bool | str = False if args.insecure else (args.ca_bundle or True)
    transport = Transport(scheme=args.scheme, port=args.port, auth=args.auth, cert_validation=validation)
    credentials = CredentialRef(username=args.username, password_env=args.password_env,
                                password_prompt=args.password_prompt, keyring=args.keyring,
                                certificate_pem=args.certificate_pem, certificate_key_pem=args.certificate_key_pem)
    return inventory_for_hosts(args.node, transport=transport, credentials=credentials, cluster=args.cluster).select(None), "--node"


@dataclass(frozen=True)
class ScanOutcome:
    scan: ScanResult
    result: dict[str, Any]
    paths: dict[str, Path]


def scan_and_report(cluster: Cluster, meta: ScanMeta, out: Path, args: argparse.Namespace, *,
                    resolver: CredentialResolver | None = None, parallel: int = DEFAULT_PARALLEL,
                    history: HistoryStore | None = None) -> ScanOutcome:
    """Collect, evaluate and write the four files: the path shared by `scan` and `demo`.

    The history (when given) dates the mixed-mode window for the mixed-mode age rule; without it
    the newest node's install date stands in."""
    pack, catalogs = load_pack_and_catalogs(args)  # bad rules fail before any node is contacted
    scanned = scan_cluster(cluster, meta, resolver=resolver or CredentialResolver(), parallel=parallel)
    scanned.facts["scan"]["mixed_mode_since"] = mixed_mode_clock(scanned.facts, history).since_iso
    raw = (json.dumps(scanned.facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    paths = {key: out / name for key, name in FILES.items()}
    write_atomic(paths["facts"], raw)
    result, _ = evaluate_facts(scanned.facts, pack, catalogs, phase=meta.phase, target_os=meta.target_os,
                               source_os=meta.source_os, facts_sha256=hashlib.sha256(raw).hexdigest())
    write_reports(result, raw, html=paths["html"], pdf=paths["pdf"], json=paths["findings"],
                  pdfa=not getattr(args, "no_pdfa", False))
    return ScanOutcome(scanned, result, paths)


def print_summary(outcome: ScanOutcome, cluster: str) -> None:
    """The verdict, the nodes that could not be collected, and where everything went."""
    verdict = outcome.result["verdict"]
    print(f"{cluster}: {verdict['status']} — {verdict['reason']}")
    for node in outcome.scan.facts["nodes"]:
        if not node.get("reachable"):
            err = (node.get("errors") or [{"section": "?", "message": "not collected"}])[0]
            print(f"  {node['name']}: not collected ({err['section']}: {err['message']})")
    if outcome.scan.partial:
        print("  the scan was interrupted: these facts are partial")
    for key in ("html", "pdf", "findings", "facts"):
        print(f"  {key + ':':<9} {outcome.paths[key]}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    cluster, source = target_cluster(args)
    meta = ScanMeta(method="winrm", phase=args.phase, target_os=args.target_os, source_os=args.source_os, inventory=source)
    if args.unattended:
        resolver = CredentialResolver(interactive=False)  # a scheduled run cannot answer a prompt

        def do_scan(run_dir: Path, store: HistoryStore) -> unattended.ScanOutcome:
            done = scan_and_report(cluster, meta, run_dir, args, resolver=resolver, parallel=args.parallel,
                                   history=store)
            return unattended.ScanOutcome(done.result, done.scan.facts, done.paths["facts"].read_bytes(), done.paths["html"])

        return unattended.run_from_args(args, do_scan)
    with HistoryStore.open(args.history) as store:
        outcome = scan_and_report(cluster, meta, Path(args.out), args, parallel=args.parallel, history=store)
        if not outcome.scan.partial:
            store.record(outcome.result, outcome.scan.facts, outcome.result["facts_sha256"], str(args.out))
    print_summary(outcome, cluster.name)
    if outcome.scan.partial:
        return exitcodes.INTERRUPTED
    return int(outcome.result["verdict"]["exit_code"])
