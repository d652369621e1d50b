"""Benchmark: a fleet of lab clusters scanned in one run against the same nodes as one cluster,
and the history write per run on SQLite and on PostgreSQL.

    .venv/bin/python bench/fleet.py [--clusters 50] [--nodes 20] [--latency-ms 50] [--parallel 64] [--labs 5]

The lab runs in --labs processes of its own (real nodes are other machines), each serving an equal
share of the clusters. Each scan runs in a fresh scanner process so that its peak RSS is its own:
`fleet` is scanner.pipeline.scan_fleet_and_report over every cluster, `one cluster` is
scan_and_report over all the same nodes listed as a single cluster; both with the same node budget
(--parallel), evaluation and facts.json/findings.json per cluster (HTML/PDF off: a 1,000-node
single-cluster PDF is not what either mode is for). Reported: wall time of each and their ratio,
scanner CPU per node, peak RSS of each scanner process (goal < 300 MB), and the time to record one
cluster run in the history (the fleet's 50 results) on SQLite and on a throwaway PostgreSQL server
(tests/pg.py). Not run in CI: it takes minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from collect import scenario_text  # noqa: E402

from scanner.collect.scan import ScanMeta  # noqa: E402
from scanner.credentials import CredentialResolver  # noqa: E402
from scanner.inventory import inventory_from_dict  # noqa: E402
from scanner.lab import PASSWORD_ENV, Lab, parse_scenario  # noqa: E402
from scanner.pipeline import ReportOptions, ScanOptions, load_rule_set, scan_and_report, scan_fleet_and_report  # noqa: E402

PASSWORD = "bench-fleet-password"


def serve(first: int, count: int, nodes: int, latency_ms: int, one: bool) -> int:
    """Child process: clusters first..first+count-1, one inventory on stdout, until stdin closes.
    one: every group of nodes reports the same cluster name (FLEETALL), so that all of them can be
    scanned as one cluster; each node's cluster view still lists its own group, so a node's output
    is the same size in both modes."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        labs = [stack.enter_context(Lab(parse_scenario(scenario_text(nodes, latency_ms, "FLEETALL" if one else f"FLEET{i:03d}",
                                                                     f"C{i:03d}"), f"fleet{i}.yaml"),
                                        password=PASSWORD).running())
                for i in range(first, first + count)]
        print(json.dumps({"clusters": [c for lab in labs for c in lab.inventory()["clusters"]]}), flush=True)
        sys.stdin.read()
    return 0


def scan(mode: str, inventory_file: str, out: str, parallel: int) -> int:
    """Child process: one scan, then its measurements as JSON on stdout."""
    clusters = inventory_from_dict(json.loads(Path(inventory_file).read_text()), "bench").clusters
    options = ScanOptions(meta=ScanMeta(method="lab", phase="pre", target_os="2016"),
                          reports=ReportOptions(html=False, pdf=False), parallel=parallel)
    resolver = CredentialResolver(env={PASSWORD_ENV: PASSWORD})
    rules = load_rule_set(options.rules)
    started, cpu = time.perf_counter(), time.process_time()
    counts: list[tuple[int, int]] = []  # per cluster: nodes, collected

    def count(outcome: Any, folder: Path | None = None) -> None:
        counts.append((len(outcome.facts["nodes"]), sum(1 for n in outcome.facts["nodes"] if n.get("reachable"))))

    if mode == "one":
        count(scan_and_report(clusters[0], Path(out), options, rules=rules, resolver=resolver))
    else:
        scan_fleet_and_report(clusters, Path(out), options, rules=rules, resolver=resolver, each=count)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    nodes, collected = sum(n for n, _ in counts), sum(c for _, c in counts)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "nodes": nodes, "collected": collected, "rss_mb": rss_mb}))
    return 0


def history_writes(out: Path) -> dict[str, float]:
    """ms to record one cluster run, median over the fleet's results, on SQLite and PostgreSQL."""
    sys.path.insert(0, str(ROOT / "tests"))
    import pg

    from scanner.history import HistoryStore

    docs = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        result = json.loads((folder / "findings.json").read_text())
        facts = json.loads((folder / "facts.json").read_text())
        docs.append((result, facts, result["facts_sha256"], str(folder)))
    timings: dict[str, float] = {}
    server = pg.start_server()
    if isinstance(server, str):
        print(f"PostgreSQL skipped: {server}", file=sys.stderr)
        locations = {"sqlite": str(out / "history.db")}
    else:
        locations = {"sqlite": str(out / "history.db"), "postgresql": server.create_database("bench")}
    try:
        for backend, location in locations.items():
            with HistoryStore.open(location) as store:
                each = []
                for doc in docs:
                    t0 = time.perf_counter()
                    store.record(*doc)
                    each.append(time.perf_counter() - t0)
            timings[backend] = statistics.median(each) * 1000
    finally:
        if not isinstance(server, str):
            server.stop()
    timings["findings_per_run"] = statistics.median(len(d[0]["findings"]) for d in docs)
    return timings


@contextmanager
def lab_processes(args: argparse.Namespace, *, one: bool) -> Iterator[list[dict[str, Any]]]:
    """--labs lab processes sharing the clusters; yields the inventory's clusters."""
    share = -(-args.clusters // args.labs)
    labs = [subprocess.Popen([sys.executable, __file__, "--serve", str(first), str(min(share, args.clusters - first)),
                              "--nodes", str(args.nodes), "--latency-ms", str(args.latency_ms), *(["--one"] if one else [])],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for first in range(0, args.clusters, share)]
    try:
        yield [c for lab in labs for c in json.loads(lab.stdout.readline())["clusters"]]  # type: ignore[union-attr]
    finally:
        for lab in labs:
            lab.stdin.close()  # type: ignore[union-attr]
            lab.wait(timeout=60)


def child(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:2])} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--nodes", type=int, default=20, help="nodes per cluster")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=64, help="the node budget, the same in both modes")
    parser.add_argument("--labs", type=int, default=5, help="lab processes")
    parser.add_argument("--serve", nargs=2, type=int, metavar=("FIRST", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scan", nargs=3, metavar=("MODE", "INVENTORY", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve[0], args.serve[1], args.nodes, args.latency_ms, args.one)
    if args.scan:
        return scan(args.scan[0], args.scan[1], args.scan[2], args.parallel)

    total = args.clusters * args.nodes
    print(f"{args.clusters} clusters x {args.nodes} nodes = {total} nodes, lab in {args.labs} processes, "
          f"{args.latency_ms} ms per exchange, --parallel {args.parallel}, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for mode, label in (("fleet", f"fleet ({args.clusters} clusters)"), ("one", "one cluster")):
            with lab_processes(args, one=mode == "one") as clusters:
                inventory = Path(tmp) / f"{mode}.json"
                if mode == "one":  # one inventory cluster holding every node
                    clusters = [{**clusters[0], "nodes": [n for c in clusters for n in c["nodes"]]}]
                inventory.write_text(json.dumps({"clusters": clusters}))
                runs[mode] = r = child(["--scan", mode, str(inventory), str(Path(tmp) / mode), "--parallel",
                                        str(args.parallel)])
            print(f"{label:<22} wall {r['wall']:6.1f} s  scanner CPU {1000 * r['cpu'] / r['nodes']:5.1f} ms/node  "
                  f"peak RSS {r['rss_mb']:5.0f} MB  collected {r['collected']}/{r['nodes']}", flush=True)
        print(f"fleet / one cluster wall time = {runs['fleet']['wall'] / runs['one']['wall']:.2f}")
        writes = history_writes(Path(tmp) / "fleet")
        line = ", ".join(f"{k} {v:.1f} ms" for k, v in writes.items() if k != "findings_per_run")
        print(f"history write per cluster run ({writes['findings_per_run']:.0f} findings): {line}")
        if "postgresql" in writes:
            print(f"postgresql / sqlite = {writes['postgresql'] / writes['sqlite']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
