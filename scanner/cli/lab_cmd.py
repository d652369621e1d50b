"""`rollready lab serve SCENARIO...`: run lab clusters in the foreground and print one inventory for them all.

Several scenarios make a fleet to try `rollready scan` on without Windows. Scenarios share cluster
names (most are FSCLUSTER1): a name already served gets -2, -3, ... (on the nodes' side too, so the
nodes report the name the inventory gives them)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import FrameType

import yaml

from scanner import exitcodes
from scanner.atomic import write_atomic
from scanner.cli.demo_cmd import scenario_path
from scanner.cli.numbers import number, whole
from scanner.errors import UsageError
from scanner.lab.scenario import Scenario

DESCRIPTION = "A loopback WinRM/PSRP lab that serves scenario clusters to real WinRM clients."


def register(p: argparse.ArgumentParser) -> None:
    lab_sub = p.add_subparsers(dest="lab_command", metavar="LAB_COMMAND", required=True)
    serve = lab_sub.add_parser(
        "serve", help="serve one or more scenarios until Ctrl-C",
        description="Serve every node of each SCENARIO on 127.0.0.1 and print one inventory that scans them all "
                    "(one cluster per scenario). The password is the value of ROLLREADY_LAB_PASSWORD (or the lab "
                    "default, see docs/lab.md).")
    serve.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                       help="a scenario file, or the name of a shipped one (several: a fleet)")
    serve.add_argument("--tls", action="store_true", help="HTTPS with a CA generated for this run")
    serve.add_argument("--auth", choices=["basic", "ntlm"], default="basic",
                       help="basic (default; unencrypted over HTTP) or ntlm (WinRM message encryption)")
    serve.add_argument("--base-port", type=whole(1, 65535), metavar="N",
                       help="serve node i (counted over all scenarios) on port N+i (default: free ports chosen by the system)")
    serve.add_argument("--inventory", metavar="FILE", help="also write the inventory to FILE")
    serve.add_argument("--time-scale", type=number(0, 1000), default=1.0, metavar="X",
                       help="real seconds per collector second: a hung section holds its node for its budget "
                            "times X (default 1: as long as on Windows)")
    serve.set_defaults(func=run)


def fleet_scenarios(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios with their cluster names made distinct (NAME, NAME-2, NAME-3 ...)."""
    seen: set[str] = set()
    out = []
    for scenario in scenarios:
        base = name = scenario.cluster["name"]
        n = 1
        while name.lower() in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name.lower())
        out.append(scenario if name == base else replace(scenario, cluster={**scenario.cluster, "name": name}))
    return out


def run(args: argparse.Namespace) -> int:
    from scanner.lab import PASSWORD_ENV, Lab, load_scenario

    paths = [scenario_path(name) for name in args.scenarios]
    scenarios = fleet_scenarios([load_scenario(path) for path in paths])
    nodes = sum(len(s.nodes) for s in scenarios)
    if args.base_port is not None and args.base_port + nodes - 1 > 65535:
        raise UsageError(f"--base-port {args.base_port}: the {nodes} nodes need ports up to "
                         f"{args.base_port + nodes - 1}, past 65535")
    # The signals that asked to stop. Not a threading.Event: the handler runs in the main thread between
    # two bytecodes, possibly inside Event.wait() while it holds the Event's lock, and Event.set() takes
    # that lock: the process then waited on itself for ever. list.append takes no lock.
    stop: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ExitStack() as stack:
            labs, port = [], args.base_port
            for scenario in scenarios:
                labs.append(stack.enter_context(Lab(scenario, tls=args.tls, auth=args.auth, base_port=port,
                                                    time_scale=args.time_scale).running()))
                port = port + len(scenario.nodes) if port is not None else None
            inventory = {"clusters": [c for lab in labs for c in lab.inventory()["clusters"]]}
            text = _inventory_text(scenarios, paths, inventory)
            if args.inventory:
                write_atomic(Path(args.inventory), text)
            sys.stdout.write(text)
            sys.stdout.flush()
            note = "" if os.environ.get(PASSWORD_ENV) else (
                f"; {PASSWORD_ENV} is not set, so the lab takes its default password (docs/lab.md): "
                f"set {PASSWORD_ENV} the same way where you scan")
            served = ", ".join(f"{s.name} as {s.cluster['name']}" for s in scenarios)
            print(f"lab: serving {sum(len(lab.endpoints) for lab in labs)} node(s) of {served}; Ctrl-C stops{note}",
                  file=sys.stderr, flush=True)
            while not stop:
                time.sleep(0.5)  # a signal cuts it short only to run the handler: stopping takes at most this long
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("lab: stopped", file=sys.stderr, flush=True)
    return exitcodes.GO


def _inventory_text(scenarios: list[Scenario], paths: list[Path], inventory: dict) -> str:
    names = ", ".join(f"{s.name} ({p})" for s, p in zip(scenarios, paths))
    header = f"# rollready lab inventory for scenario{'s' if len(scenarios) > 1 else ''} {names}; valid while `rollready lab serve` runs\n"
    return header + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
