"""`rollready collect`: facts only (no rules), or the collector script for an offline run.

    rollready collect -i INVENTORY --out facts.json [--cluster NAME] [--parallel N]
    rollready collect --emit-script collector.ps1

Exit codes: 0 every node collected; 3 some node could not be collected (its facts carry the error);
130 interrupted (the partial facts are still written).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from scanner import exitcodes
from scanner.atomic import write_atomic
from scanner.cli.common import add_upgrade_options, cli_resolver
from scanner.cli.progress import Progress
from scanner.cli.scan_cmd import add_target_options, deadlines, target_cluster
from scanner.collect import COLLECTOR_VERSION, collector_script
from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster
from scanner.errors import UsageError
from scanner.inert import inert

DESCRIPTION = ("Collect a cluster's facts over WinRM into one facts document (no rules), or write "
               "the collector script for an administrator to run on a node by hand.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--emit-script", metavar="FILE", help="write collector.ps1 to FILE ('-' for stdout) and exit")
    add_target_options(p)
    p.add_argument("--out", metavar="FILE", help="the facts document to write (facts.json)")
    add_upgrade_options(p, default="not recorded; give them to `rollready evaluate` later")
    p.set_defaults(func=run)


def emit_script(target: str) -> int:
    script = collector_script()
    if target == "-":
        sys.stdout.write(script)
        return exitcodes.GO
    write_atomic(target, script)
    digest = hashlib.sha256(script.encode("utf-8")).hexdigest()
    print(f"wrote {target} (collector version {COLLECTOR_VERSION}, sha256 {digest})", file=sys.stderr)
    print("run it on each node as an administrator (in the folder holding it):\n"
          f"  powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"& .\\{Path(target).name} | "
          "Set-Content -Encoding UTF8 -Path $env:COMPUTERNAME.json\"\n"
          "then: rollready evaluate NODE1.json NODE2.json ... --phase PHASE --target-os T", file=sys.stderr)
    return exitcodes.GO


def run(args: argparse.Namespace) -> int:
    if args.emit_script:
        if args.inventory or args.node or args.out:
            raise UsageError("--emit-script writes the script only; it takes no inventory, --node or --out")
        return emit_script(args.emit_script)
    if not args.out:
        raise UsageError("give --out FILE for the facts (or --emit-script FILE)")
    cluster, source = target_cluster(args)
    meta = ScanMeta(method="winrm", phase=args.phase, target_os=args.target_os, source_os=args.source_os,
                    inventory=source, command_line=tuple(getattr(args, "command_line", ())))
    options = CollectOptions(resolver=cli_resolver(), parallel=args.parallel, display=Progress,
                             deadlines=deadlines(args))
    scanned = scan_cluster(cluster, meta, options)
    write_atomic(args.out, json.dumps(scanned.facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    missing = [n["name"] for n in scanned.facts["nodes"] if not n.get("reachable")]
    print(inert(f"{cluster.name}: {len(cluster.nodes) - len(missing)} of {len(cluster.nodes)} nodes collected -> {args.out}"))
    for node in scanned.facts["nodes"]:
        if not node.get("reachable"):
            err = node["errors"][0]
            print(f"  {inert(node['name'])}: not collected ({inert(err['section'])}: {inert(err['message'])})")
    if scanned.partial:
        return exitcodes.INTERRUPTED
    return exitcodes.INCOMPLETE if missing else exitcodes.GO
