"""Benchmark: collecting 1, 16 and 64 nodes through pypsrp against the lab, 50 ms per HTTP exchange.

    .venv/bin/python bench/collect.py [--latency-ms 50] [--sizes 1,16,64] [--repeat 3] [--parallel 64] [--progress]

Reports wall time per cluster size (median of --repeat runs), scan(64)/scan(1) (target <= 1.5 with
--parallel 64) and HTTP exchanges per node (target: pypsrp's minimum for one runspace pool and one
pipeline: create, receive pool state, command, receive output, delete = 5 with Basic auth).

The CPU time of both processes is reported per node, and from it the floor this machine puts under
the largest scan: each process computes under one GIL, and both share the machine's CPUs.
--progress scans with the rich per-node display drawn on a pseudo-terminal, as in an interactive run.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.collect.scan import ScanMeta, scan_cluster  # noqa: E402
from scanner.credentials import CredentialResolver  # noqa: E402
from scanner.inventory import inventory_from_dict  # noqa: E402
from scanner.lab import PASSWORD_ENV, Lab, parse_scenario  # noqa: E402

MIN_EXCHANGES = 5  # Create shell, Receive (pool opened), Command, Receive (output), Delete shell


def scenario_text(nodes: int, latency_ms: int, cluster: str = "BENCHCLU", prefix: str = "") -> str:
    """A 2012 R2 cluster of `nodes` nodes (named PREFIX + N01...), each answering after latency_ms."""
    names = [f"{prefix}N{i + 1:02d}" for i in range(nodes)]
    lines = [
        "name: bench", "description: benchmark cluster", "cluster:", f"  name: {cluster}", "  functional_level: 8",
        "  nodes:", *[f"    - {{name: {n}, state: Up}}" for n in names],
        "node_defaults:",
        "  os: {caption: Microsoft Windows Server 2012 R2 Standard, version: 6.3.9600, build: 9600, ubr: 19000, release: 2012R2}",
        "nodes:",
    ]
    for n in names:
        lines += [f"  - name: {n}", f"    faults: {{latency_ms: {latency_ms}}}"]
    return "\n".join(lines) + "\n"


def serve(nodes: int, latency_ms: int, password: str) -> int:
    """Child process: run the lab, print its inventory, print its stats or CPU time when asked, stop on EOF."""
    scenario = parse_scenario(scenario_text(nodes, latency_ms), "bench.yaml")
    with Lab(scenario, tls=False, auth="basic", password=password).running() as lab:
        print(json.dumps(lab.inventory()), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps(lab.stats), flush=True)
            elif line.strip() == "cpu":
                print(json.dumps(time.process_time()), flush=True)
    return 0


@dataclass(frozen=True)
class Run:
    elapsed: float
    cpu: float  # the scanning process, seconds
    lab_cpu: float  # the lab process, seconds
    exchanges: list[int]
    ok: bool


@contextlib.contextmanager
def terminal_stderr() -> Iterator[None]:
    """sys.stderr on a pseudo-terminal (drained by a thread) for the duration: the progress display
    then renders as it does for an admin at a console."""
    import pty

    main, sub = pty.openpty()
    drain = threading.Thread(target=_drain, args=(main,), daemon=True)
    drain.start()
    saved = sys.stderr
    sys.stderr = io.TextIOWrapper(os.fdopen(sub, "wb", buffering=0), write_through=True)
    try:
        yield
    finally:
        sys.stderr.close()
        sys.stderr = saved
        drain.join(timeout=5)
        os.close(main)


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass


def run_once(nodes: int, latency_ms: int, parallel: int, progress: bool) -> Run:
    """One scan; the lab runs in its own process, as real nodes would be other machines (and the
    scanner's CPU time is then measured without the simulator's)."""
    password = "bench-password"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(nodes), "--latency-ms", str(latency_ms)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "BENCH_PASSWORD": password},
    )
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None and stdout is not None

    def ask(what: str) -> Any:
        stdin.write(what + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    try:
        cluster = inventory_from_dict(json.loads(stdout.readline()), "bench").select(None)
        resolver = CredentialResolver(env={PASSWORD_ENV: password}, interactive=False)
        lab_cpu = ask("cpu")
        with terminal_stderr() if progress else contextlib.nullcontext():
            started, cpu = time.perf_counter(), time.process_time()
            result = scan_cluster(cluster, ScanMeta(method="lab"), resolver=resolver, parallel=parallel,
                                  progress=progress)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        lab_cpu = ask("cpu") - lab_cpu
        exchanges = [s["exchanges"] for s in ask("stats").values()]
    finally:
        stdin.close()
        child.wait(timeout=30)
    return Run(elapsed, cpu, lab_cpu, exchanges, all(r.reachable for r in result.results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--progress", action="store_true", help="draw the progress display on a pseudo-terminal")
    parser.add_argument("--serve", type=int, metavar="NODES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.latency_ms, os.environ["BENCH_PASSWORD"])
    sizes = [int(s) for s in args.sizes.split(",")]
    cpus = os.cpu_count() or 1
    print(f"latency {args.latency_ms} ms per exchange, --parallel {args.parallel}, median of {args.repeat} runs, "
          f"{cpus} CPUs{', progress display on a pseudo-terminal' if args.progress else ''}")
    print(f"{'nodes':>5}  {'wall s':>7}  {'runs':<30}  {'scanner CPU ms/node':>19}  {'lab CPU ms/node':>15}  "
          "exchanges/node")
    medians: dict[int, float] = {}
    cpu_ms: dict[int, tuple[float, float]] = {}  # per node: scanner, lab
    for size in sizes:
        runs = [run_once(size, args.latency_ms, args.parallel, args.progress) for _ in range(args.repeat)]
        if not all(r.ok for r in runs):
            print(f"{size}: a node failed to collect", file=sys.stderr)
            return 1
        medians[size] = statistics.median(r.elapsed for r in runs)
        cpu_ms[size] = (statistics.median(r.cpu * 1000 / size for r in runs),
                        statistics.median(r.lab_cpu * 1000 / size for r in runs))
        shown = ", ".join(f"{r.elapsed:.2f}" for r in runs)
        per_node = sorted({e for r in runs for e in r.exchanges})
        print(f"{size:>5}  {medians[size]:>7.2f}  {shown:<30}  {cpu_ms[size][0]:>19.1f}  {cpu_ms[size][1]:>15.1f}  "
              f"{per_node} (minimum {MIN_EXCHANGES})")
    if 1 in medians and max(sizes) > 1:
        biggest = max(sizes)
        ratio = medians[biggest] / medians[1]
        print(f"scan({biggest})/scan(1) = {ratio:.2f} (target <= 1.5)")
        scanner, lab = (ms * biggest / 1000 for ms in cpu_ms[biggest])
        floor = max(scanner, lab, (scanner + lab) / cpus, medians[1])
        print(f"floor for {biggest} nodes on this machine: CPU of scanner {scanner:.2f} s, of lab {lab:.2f} s, "
              f"{cpus} CPUs, scan(1) {medians[1]:.2f} s -> scan({biggest}) >= {floor:.2f} s, "
              f"scan({biggest})/scan(1) >= {floor / medians[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
