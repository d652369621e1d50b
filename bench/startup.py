"""Start-up: CPU of `rollready --help` and `rollready rules list` against a bare `python3 -c pass`.

    .venv/bin/python bench/startup.py [--runs 7]

Target (issue #14): `--help` within 5x the bare interpreter's CPU. CPU time (user + system, from
wait4) rather than wall time: the machine is shared. Median of --runs; each command in a fresh process.
Also lists the heavy libraries each command imports (it should import only what it uses).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("weasyprint", "pypsrp", "requests", "jsonschema", "rich", "jinja2", "cryptography", "yaml", "sqlite3")
PROBE = ("import sys, runpy; sys.argv = ['rollready', *sys.argv[1:]]\n"
         "try:\n    runpy.run_module('scanner', run_name='__main__')\nexcept SystemExit:\n    pass\n"
         "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[0:0] or %r))), file=sys.stderr)")


def cpu(command: list[str]) -> float:
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_utime + usage.ru_stime


def imported(args: list[str]) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), *args], capture_output=True, text=True, cwd=ROOT)
    return out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "rollready --help": [sys.executable, "-m", "scanner", "--help"],
        "rollready rules list": [sys.executable, "-m", "scanner", "rules", "list"],
    }
    cpus = {name: [] for name in commands}  # type: dict[str, list[float]]
    for _ in range(args.runs):  # interleaved, so load changes hit every command alike
        for name, command in commands.items():
            cpus[name].append(cpu(command))
    base = statistics.median(cpus["python -c pass"])
    print(f"median of {args.runs} runs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<24} {'CPU ms':>7} {'x bare python':>13}  heavy libraries imported")
    for name, command in commands.items():
        median = statistics.median(cpus[name])
        heavy = imported(command[3:]) if name != "python -c pass" else ""
        print(f"{name:<24} {median * 1000:>7.0f} {median / base:>13.1f}  {heavy or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
