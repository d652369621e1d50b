"""`rollready lab serve SCENARIO`: run a lab cluster in the foreground and print an inventory for it."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import yaml

from scanner import exitcodes
from scanner.atomic import write_atomic
from scanner.cli.demo_cmd import scenario_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="loopback WinRM/PSRP lab serving scenario clusters",
                       description="A loopback WinRM/PSRP lab that serves scenario clusters to real WinRM clients.")
    lab_sub = p.add_subparsers(dest="lab_command", metavar="LAB_COMMAND", required=True)
    serve = lab_sub.add_parser(
        "serve", help="serve a scenario until Ctrl-C",
        description="Serve every node of SCENARIO on 127.0.0.1 and print an inventory that scans it. "
                    "The password is the value of ROLLREADY_LAB_PASSWORD (or the lab default, see docs/lab.md).")
    serve.add_argument("scenario", metavar="SCENARIO", help="a scenario file, or the name of a shipped one")
    serve.add_argument("--tls", action="store_true", help="HTTPS with a CA generated for this run")
    serve.add_argument("--auth", choices=["basic", "ntlm"], default="basic",
                       help="basic (default; unencrypted over HTTP) or ntlm (WinRM message encryption)")
    serve.add_argument("--base-port", type=int, metavar="N",
                       help="serve node i on port N+i (default: free ports chosen by the system)")
    serve.add_argument("--inventory", metavar="FILE", help="also write the inventory to FILE")
    serve.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                       help="real seconds per collector second: a hung section holds its node for its budget "
                            "times X (default 1: as long as on Windows)")
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.lab import PASSWORD_ENV, Lab, load_scenario

    path = scenario_path(args.scenario)
    scenario = load_scenario(path)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Lab(scenario, tls=args.tls, auth=args.auth, base_port=args.base_port, time_scale=args.time_scale).running() as lab:
            text = _inventory_text(scenario.name, path, lab.inventory())
            if args.inventory:
                write_atomic(Path(args.inventory), text)
            sys.stdout.write(text)
            sys.stdout.flush()
            note = "" if os.environ.get(PASSWORD_ENV) else (
                f"; {PASSWORD_ENV} is not set, so the lab takes its default password (docs/lab.md): "
                f"set {PASSWORD_ENV} the same way where you scan")
            print(f"lab: serving {len(lab.endpoints)} node(s) of {scenario.name}; Ctrl-C stops{note}",
                  file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("lab: stopped", file=sys.stderr, flush=True)
    return exitcodes.GO


def _inventory_text(name: str, path: Path, inventory: dict) -> str:
    header = f"# rollready lab inventory for scenario {name} ({path}); valid while `rollready lab serve` runs\n"
    return header + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
