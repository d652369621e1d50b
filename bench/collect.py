"""Benchmark: collecting 1, 16 and 64 nodes through pypsrp against the lab, 50 ms per HTTP exchange.

    .venv/bin/python bench/collect.py [--latency-ms 50] [--sizes 1,16,64] [--repeat 3] [--parallel 64]

Reports wall time per cluster size (median of --repeat runs), scan(64)/scan(1) (target <= 1.5 with
--parallel 64) and HTTP exchanges per node (target: pypsrp's minimum for one runspace pool and one
pipeline: create, receive pool state, command, receive output, delete = 5 with Basic auth).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.collect.scan import ScanMeta, scan_cluster  # noqa: E402
from scanner.credentials import CredentialResolver  # noqa: E402
from scanner.inventory import inventory_from_dict  # noqa: E402
from scanner.lab import PASSWORD_ENV, Lab, parse_scenario  # noqa: E402

MIN_EXCHANGES = 5  # Create shell, Receive (pool opened), Command, Receive (output), Delete shell


def scenario_text(nodes: int, latency_ms: int) -> str:
    names = [f"N{i + 1:02d}" for i in range(nodes)]
    lines = [
        "name: bench", "description: benchmark cluster", "cluster:", "  name: BENCHCLU", "  functional_level: 8",
        "  nodes:", *[f"    - {{name: {n}, state: Up}}" for n in names],
        "node_defaults:",
        "  os: {caption: Microsoft Windows Server 2012 R2 Standard, version: 6.3.9600, build: 9600, ubr: 19000, release: 2012R2}",
        "nodes:",
    ]
    for n in names:
        lines += [f"  - name: {n}", f"    faults: {{latency_ms: {latency_ms}}}"]
    return "\n".join(lines) + "\n"


def serve(nodes: int, latency_ms: int, password: str) -> int:
    """Child process: run the lab, print its inventory, print its stats when asked, stop on EOF."""
    scenario = parse_scenario(scenario_text(nodes, latency_ms), "bench.yaml")
    with Lab(scenario, tls=False, auth="basic", password=password).running() as lab:
        print(json.dumps(lab.inventory()), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps(lab.stats), flush=True)
    return 0


def run_once(nodes: int, latency_ms: int, parallel: int) -> tuple[float, float, list[int], bool]:
    """One scan; the lab runs in its own process, as real nodes would be other machines (and the
    scanner's CPU time is then measured without the simulator's)."""
    password = "bench-password"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(nodes), "--latency-ms", str(latency_ms)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "BENCH_PASSWORD": password},
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        cluster = inventory_from_dict(json.loads(child.stdout.readline()), "bench").select(None)
        resolver = CredentialResolver(env={PASSWORD_ENV: password}, interactive=False)
        started, cpu = time.perf_counter(), time.process_time()
        result = scan_cluster(cluster, ScanMeta(method="lab"), resolver=resolver, parallel=parallel, progress=False)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        child.stdin.write("stats\n")
        child.stdin.flush()
        exchanges = [s["exchanges"] for s in json.loads(child.stdout.readline()).values()]
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    return elapsed, cpu, exchanges, all(r.reachable for r in result.results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--serve", type=int, metavar="NODES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.latency_ms, os.environ["BENCH_PASSWORD"])
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"latency {args.latency_ms} ms per exchange, --parallel {args.parallel}, median of {args.repeat} runs, "
          f"{os.cpu_count()} CPUs")
    print(f"{'nodes':>5}  {'wall s':>7}  {'runs':<20}  {'scanner CPU ms/node':>19}  exchanges/node")
    medians = {}
    for size in sizes:
        runs, cpus = [], []
        per_node: set[int] = set()
        for _ in range(args.repeat):
            elapsed, cpu, exchanges, ok = run_once(size, args.latency_ms, args.parallel)
            if not ok:
                print(f"{size}: a node failed to collect", file=sys.stderr)
                return 1
            runs.append(elapsed)
            cpus.append(cpu * 1000 / size)
            per_node |= set(exchanges)
        medians[size] = statistics.median(runs)
        shown = ", ".join(f"{r:.2f}" for r in runs)
        print(f"{size:>5}  {medians[size]:>7.2f}  {shown:<20}  {statistics.median(cpus):>19.1f}  "
              f"{sorted(per_node)} (minimum {MIN_EXCHANGES})")
    if 1 in medians and max(sizes) > 1:
        biggest = max(sizes)
        ratio = medians[biggest] / medians[1]
        print(f"scan({biggest})/scan(1) = {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
