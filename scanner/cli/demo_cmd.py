"""`rollready demo [SCENARIO]`: start the lab, scan it through the real pypsrp path, write the reports.

The default scenario is the mixed-mode dedup hazard: a deduplicated disk owned by the new 2016 node
can still fail back to 2012 R2 nodes — the failure the tool exists to catch (NO-GO). The lab serves
HTTPS with its own CA (verified), Basic auth with a one-off random password handed over in memory.
The demo exits 0 once it has run; the verdict code is what `rollready scan` returns.
"""
from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from scanner import exitcodes, paths
from scanner.cli.common import add_rule_options, add_upgrade_options
from scanner.cli.scan_cmd import print_summary, scan_options
from scanner.collect.scan import ScanMeta
from scanner.credentials import CredentialResolver
from scanner.errors import InputError, Problem
from scanner.inventory import inventory_from_dict
from scanner.pipeline import scan_and_report

DEFAULT_SCENARIO = "mixed-dedup-hazard"
DEMO_TIME_SCALE = 0.05  # the demo shows a hung provider without waiting its whole budget


DESCRIPTION = ("Start the loopback lab with a shipped scenario, scan it with pypsrp exactly as a real "
               "cluster, evaluate the rules and write the reports.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"a scenario name from scenarios/ or a path (default {DEFAULT_SCENARIO}; "
                        "see `ls scenarios`)")
    p.add_argument("--out", default="demo-out", metavar="DIR", help="folder for the facts and reports (default demo-out)")
    add_upgrade_options(p, default="the scenario's expected phase and target")
    add_rule_options(p)
    p.add_argument("--no-pdfa", action="store_true", help="plain PDF instead of PDF/A-3b")
    p.set_defaults(func=run)


def scenario_path(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    shipped = paths.SCENARIOS_DIR / f"{name}.yaml"
    if not shipped.exists():
        known = ", ".join(sorted(p.stem for p in paths.SCENARIOS_DIR.glob("*.yaml")))
        raise InputError([Problem(f"no scenario {name!r} (shipped: {known})")])
    return shipped


def run(args: argparse.Namespace) -> int:
    from scanner.lab import PASSWORD_ENV, Lab, load_scenario

    path = scenario_path(args.scenario)
    scenario = load_scenario(path)
    expected = scenario.expected
    phase = args.phase or (expected.phase if expected else None)
    target = args.target_os or (expected.target_os if expected else None)
    if phase is None or target is None:
        raise InputError([Problem("the scenario has no `expected:` phase and target; give --phase and --target-os", file=str(path))])
    password = secrets.token_urlsafe(18)
    resolver = CredentialResolver(env={PASSWORD_ENV: password})
    print(f"lab: scenario {scenario.name} ({len(scenario.nodes)} nodes) on 127.0.0.1 over HTTPS; scanning with pypsrp ...",
          flush=True)
    with Lab(scenario, tls=True, auth="basic", password=password, time_scale=DEMO_TIME_SCALE).running() as lab:
        cluster = inventory_from_dict(lab.inventory(), f"lab:{scenario.name}").select(None)
        meta = ScanMeta(method="lab", phase=phase, target_os=target, source_os=args.source_os,
                        inventory=f"lab:{path.name}", command_line=tuple(getattr(args, "command_line", ())))
        outcome = scan_and_report(cluster, Path(args.out).resolve(), scan_options(args, meta, parallel=len(cluster.nodes)),
                                  resolver=resolver)
        exchanges = sum(s["exchanges"] for s in lab.stats.values())
    print_summary(outcome, cluster.name)
    if expected is not None:
        print(f"  expected: {expected.verdict} ({exchanges} HTTP exchanges for {len(cluster.nodes)} nodes)")
    return exitcodes.GO
