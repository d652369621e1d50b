"""Benchmark: collecting 1, 16 and 64 nodes through pypsrp, 50 ms per HTTP exchange.

    .venv/bin/python bench/collect.py [--peer replay|lab] [--tls] [--latency-ms 50] [--sizes 1,16,64]
                                      [--repeat 3] [--parallel 64] [--processes N] [--progress]
                                      [--client rollready|pypsrp|floor] [--auth basic|ntlm]

The peer runs in its own process (real nodes are other machines). `--peer replay` (the default) answers
with exchanges recorded from the lab (bench/replay.py), spending almost no CPU of its own, so the
figures measure the scanner; `--peer lab` runs the full lab simulator, which spends about as much CPU
per node as the scanner. Each node returns realistic facts: the healthy-2012r2 scenario grown to the
cluster size (a role with two disk resources per node, every resource owned by every node, 150
hotfixes, 60 drivers), so each node's cluster view grows with the cluster, as on a real cluster.
--tls: HTTPS, the replay peer's certificate verified against a trust store of real size (requests'
default CA bundle plus the peer's CA, bench/replay.trust_store).

Reports wall time per cluster size (median of --repeat runs), scan(64)/scan(1) (target <= 1.5 with
--parallel 64) and HTTP exchanges per node (target: pypsrp's minimum for one runspace pool and one
pipeline: create, receive pool state, command, receive output, delete = 5 with Basic auth).
Each scan runs in a new process, as `rollready scan` does. The CPU time of both processes is reported per
node (the scanner's includes its worker processes).
--progress scans with the rich per-node display drawn on a pseudo-terminal, as in an interactive run.
--client replaces the per-node collection inside the same scan (same threads, processes, peer and facts
building), as the references the scanner's cost per node is measured against:
  pypsrp: pypsrp as its documentation shows it (WSMan, RunspacePool, PowerShell.add_script and
          add_parameter, invoke), then the output decoded (json.loads): no rollready code per node;
  floor:  the five HTTP exchanges alone, through a requests Session with Basic auth, each reply parsed
          as XML (ElementTree), and the node's JSON decoded: the bodies rollready sent to the first
          node are re-sent as they are, so there is no WS-Man or PSRP message work at all. What a client
          that keeps requests and ElementTree spends before pypsrp does anything.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import xml.etree.ElementTree as ET  # noqa: E402

import requests  # noqa: E402
from pypsrp.powershell import PowerShell, RunspacePool  # noqa: E402
from pypsrp.wsman import WSMan  # noqa: E402
from replay import Peer, record  # noqa: E402  (bench/replay.py)

from scanner.cli.progress import Progress  # noqa: E402
from scanner.collect import collector_script  # noqa: E402
from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster  # noqa: E402
from scanner.collect.winrm import NodeResult, collect_node  # noqa: E402
from scanner.collect.wire import unpack  # noqa: E402
from scanner.credentials import CredentialResolver, Credentials  # noqa: E402
from scanner.inventory import NodeTarget, inventory_from_dict  # noqa: E402
from scanner.lab import PASSWORD_ENV, Lab, parse_scenario  # noqa: E402

MIN_EXCHANGES = 5  # Create shell, Receive (pool opened), Command, Receive (output), Delete shell


ROOT = Path(__file__).resolve().parent.parent
USERNAME = "LAB\\admin"


def scenario_text(nodes: int, latency_ms: int, cluster_name: str = "BENCHCLU", prefix: str = "") -> str:
    """The healthy-2012r2 scenario grown to `nodes` nodes (named PREFIX + N01...), each answering after
    latency_ms, with realistic per-node and cluster sizes."""
    base = yaml.safe_load((ROOT / "scenarios" / "healthy-2012r2.yaml").read_text(encoding="utf-8"))
    names = [f"{prefix}N{i + 1:02d}" for i in range(nodes)]
    member = base["cluster"]["nodes"][0]
    cluster = base["cluster"]
    cluster["name"] = cluster_name
    cluster["nodes"] = [{**member, "name": n} for n in names]
    cluster["groups"] = [{"name": "Cluster Group", "owner_node": names[0], "state": "Online", "is_core": True}]
    cluster["resources"] = []
    for i, n in enumerate(names):
        role = f"FS{i + 1:02d}"
        cluster["groups"].append({"name": role, "owner_node": n, "state": "Online", "is_core": False,
                                  "group_type": "FileServer"})
        for rname, rtype in ((f"Cluster Disk {i + 1}", "Physical Disk"), (role, "File Server")):
            cluster["resources"].append({"name": rname, "state": "Online", "owner_group": role, "owner_node": n,
                                         "resource_type": rtype, "is_csv": False, "possible_owners": names})
    defaults = base["node_defaults"]
    defaults["hotfixes"] = [{"id": f"KB{5000000 + i}", "description": "Security Update", "installed_on": f"@now-{i}d"}
                            for i in range(150)]
    driver = defaults["drivers"][0]
    defaults["drivers"] = [{**driver, "device_name": f"{driver['device_name']} #{i}"} for i in range(60)]
    base["nodes"] = [{"name": n, "faults": {"latency_ms": latency_ms}} for n in names]
    base["name"], base["expected"] = "bench", None
    return json.dumps({k: v for k, v in base.items() if v is not None})


def serve(peer: str, nodes: int, latency_ms: int, tls: bool, password: str, auth: str = "basic") -> int:
    """Child process: run the peer, print its inventory, print its stats or CPU time when asked, stop on EOF."""
    scenario = parse_scenario(scenario_text(nodes, latency_ms if peer == "lab" else 0), "bench.yaml")
    with Lab(scenario, tls=tls, auth=auth, username=USERNAME, password=password).running() as lab:
        if peer == "lab":
            print(json.dumps(lab.inventory()), flush=True)
            return answer_stdin(lambda: lab.stats)
        resolver = CredentialResolver(env={PASSWORD_ENV: password})
        replies = record(lab, lambda inv: scan_cluster(inventory_from_dict(inv, "record").select(None), ScanMeta(),
                                                       CollectOptions(resolver=resolver, parallel=8, processes=1)))
    replay = Peer(replies, latency_ms, tls)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(replay.start())
    threading.Thread(target=loop.run_forever, daemon=True).start()
    print(json.dumps(replay.inventory(scenario, USERNAME, PASSWORD_ENV)), flush=True)
    return answer_stdin(lambda: replay.stats)


def answer_stdin(stats: Callable[[], dict[str, dict[str, int]]]) -> int:
    for line in sys.stdin:
        if line.strip() == "stats":
            print(json.dumps(stats()), flush=True)
        elif line.strip() == "cpu":
            print(json.dumps(time.process_time()), flush=True)
    return 0


@dataclass(frozen=True)
class Run:
    elapsed: float
    cpu: float  # the scanning process, seconds
    lab_cpu: float  # the peer process, seconds
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


@dataclass(frozen=True)
class Setup:
    peer: str  # replay | lab
    tls: bool
    latency_ms: int
    parallel: int
    progress: bool
    processes: int | None  # None: the scanner's own choice (procpool.process_count)
    client: str = "rollready"  # rollready | pypsrp | floor (the module docstring)
    auth: str = "basic"  # basic | ntlm (the lab peer only: NTLM seals each message with per-connection keys)


def plain_pypsrp(node: NodeTarget, credentials: Credentials) -> NodeResult:
    """One node through pypsrp as documented, and its output decoded: the reference without rollready."""
    t = node.transport
    password = credentials.password.reveal() if credentials.password else None
    with WSMan(node.host, port=node.port, ssl=t.scheme == "https", path=t.path, auth="basic",
               username=credentials.username, password=password, cert_validation=t.cert_validation,
               encryption="never" if t.scheme == "http" else "auto") as wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script(collector_script())
        ps.add_parameter("WmiTimeoutSec", t.wmi_timeout)
        ps.add_parameter("CompressOutput", True)
        output = ps.invoke()
    return NodeResult(node.name, json.loads(unpack(output[0])), 1, 0)


@dataclass(frozen=True)
class Exchanges:
    """What the floor client re-sends: the request bodies rollready sent to one node, and its JSON."""

    bodies: tuple[bytes, ...]
    json_text: str


def record_exchanges(node: NodeTarget, credentials: Credentials) -> Exchanges:
    """rollready's collection of one node, keeping the bodies it sent and the JSON it decoded."""
    from scanner.collect import transport, winrm

    bodies: list[bytes] = []
    texts: list[str] = []
    send, parse = transport._Transport.send, winrm.parse_output

    def recording_send(self: Any, message: bytes, **kwargs: Any) -> bytes:
        bodies.append(message)
        return send(self, message, **kwargs)

    def recording_parse(objects: list[Any], errors: list[str], failed: bool) -> dict[str, Any]:
        texts.append(unpack(objects[0]))
        return parse(objects, errors, failed)

    transport._Transport.send = recording_send  # type: ignore[method-assign]
    try:
        collect_node(node, credentials, parse=recording_parse)
    finally:
        transport._Transport.send = send  # type: ignore[method-assign]
    return Exchanges(tuple(bodies), texts[0])


def floor_client(exchanges: Exchanges) -> Callable[[NodeTarget, Credentials], NodeResult]:
    def collect(node: NodeTarget, credentials: Credentials) -> NodeResult:
        t = node.transport
        with requests.Session() as session:
            session.auth = (credentials.username, credentials.password.reveal() if credentials.password else "")
            session.verify = t.cert_validation
            url = f"{t.scheme}://{node.host}:{node.port}/{t.path}"
            for body in exchanges.bodies:
                reply = session.post(url, data=body, headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
                reply.raise_for_status()
                ET.fromstring(reply.content)
        doc = json.loads(exchanges.json_text)
        doc["node"]["name"] = node.name
        return NodeResult(node.name, doc, 1, 0)

    return collect


def scanner_cpu() -> float:
    """CPU seconds of this process and of its finished children other than the peer (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_once(nodes: int, setup: Setup) -> Run:
    """One scan; the peer runs in its own process, as real nodes would be other machines (and the
    scanner's CPU time is then measured without the peer's)."""
    password = "bench-password"
    command = [sys.executable, __file__, "--serve", str(nodes), "--peer", setup.peer, "--auth", setup.auth,
               "--latency-ms", str(setup.latency_ms), *(["--tls"] if setup.tls else [])]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "BENCH_PASSWORD": password})
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None and stdout is not None

    def ask(what: str) -> Any:
        stdin.write(what + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    try:
        cluster = inventory_from_dict(json.loads(stdout.readline()), "bench").select(None)
        resolver = CredentialResolver(env={PASSWORD_ENV: password})
        collect = collect_node
        if setup.client == "pypsrp":
            collect = plain_pypsrp
        elif setup.client == "floor":
            first = cluster.nodes[0]
            collect = floor_client(record_exchanges(first, resolver.resolve(first.credentials, auth="basic", where="bench")))
        peer_cpu = ask("cpu")
        with terminal_stderr() if setup.progress else contextlib.nullcontext():
            started, cpu = time.perf_counter(), scanner_cpu()
            display = functools.partial(Progress, enabled=True) if setup.progress else None
            options = CollectOptions(resolver=resolver, parallel=setup.parallel, display=display,
                                     processes=setup.processes, collect=collect)
            result = scan_cluster(cluster, ScanMeta(method="lab"), options)
            elapsed, cpu = time.perf_counter() - started, scanner_cpu() - cpu
        peer_cpu = ask("cpu") - peer_cpu
        exchanges = [s["exchanges"] for s in ask("stats").values()]
    finally:
        stdin.close()
        child.wait(timeout=30)
    return Run(elapsed, cpu, peer_cpu, exchanges, all(r.reachable for r in result.results))


def fresh_run(nodes: int, args: argparse.Namespace) -> Run:
    """run_once in a new process, as `rollready scan` runs: a scan repeated in one process reuses the
    memory the previous scan freed, and would be measured without the page faults a real run pays."""
    command = [sys.executable, __file__, "--run-once", str(nodes), "--peer", args.peer, "--auth", args.auth,
               "--latency-ms", str(args.latency_ms), "--parallel", str(args.parallel),
               *(["--tls"] if args.tls else []), *(["--progress"] if args.progress else []),
               *(["--processes", str(args.processes)] if args.processes else []), "--client", args.client]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return Run(**json.loads(done.stdout.splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=["replay", "lab"], default="replay",
                        help="replay recorded exchanges (almost no CPU: measures the scanner) or run the lab")
    parser.add_argument("--tls", action="store_true", help="HTTPS (verified against a throwaway CA)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--progress", action="store_true", help="draw the progress display on a pseudo-terminal")
    parser.add_argument("--processes", type=int, help="scanner processes (default: the scanner's choice per size)")
    parser.add_argument("--client", choices=["rollready", "pypsrp", "floor"], default="rollready",
                        help="what collects each node (the module docstring): rollready, or a reference")
    parser.add_argument("--auth", choices=["basic", "ntlm"], default="basic",
                        help="ntlm: NTLM with WinRM message encryption, as most clusters run (needs --peer lab)")
    parser.add_argument("--serve", type=int, metavar="NODES", help=argparse.SUPPRESS)
    parser.add_argument("--run-once", type=int, metavar="NODES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.auth != "basic" and (args.peer != "lab" or args.client != "rollready"):
        parser.error("--auth ntlm needs --peer lab (a replay cannot answer sealed messages) and --client rollready")
    if args.serve:
        return serve(args.peer, args.serve, args.latency_ms, args.tls, os.environ["BENCH_PASSWORD"], args.auth)
    setup = Setup(args.peer, args.tls, args.latency_ms, args.parallel, args.progress, args.processes, args.client,
                  args.auth)
    if args.run_once:
        print(json.dumps(dataclasses.asdict(run_once(args.run_once, setup))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    cpus = os.cpu_count() or 1
    print(f"client {args.client}, peer {args.peer}, {'https' if args.tls else 'http'}, auth {args.auth}, latency {args.latency_ms} ms per exchange, "
          f"--parallel {args.parallel}, --processes {args.processes or 'auto'}, median of {args.repeat} runs (each in a "
          f"new process), {cpus} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}{', progress display on a pseudo-terminal' if args.progress else ''}")
    print(f"{'nodes':>5}  {'wall s':>7}  {'runs':<30}  {'scanner CPU ms/node':>19}  {'peer CPU ms/node':>16}  "
          "exchanges/node")
    medians: dict[int, float] = {}
    cpu_ms: dict[int, tuple[float, float]] = {}  # per node: scanner, peer
    for size in sizes:
        runs = [fresh_run(size, args) for _ in range(args.repeat)]
        if not all(r.ok for r in runs):
            print(f"{size}: a node failed to collect", file=sys.stderr)
            return 1
        medians[size] = statistics.median(r.elapsed for r in runs)
        cpu_ms[size] = (statistics.median(r.cpu * 1000 / size for r in runs),
                        statistics.median(r.lab_cpu * 1000 / size for r in runs))
        shown = ", ".join(f"{r.elapsed:.2f}" for r in runs)
        per_node = sorted({e for r in runs for e in r.exchanges})
        print(f"{size:>5}  {medians[size]:>7.2f}  {shown:<30}  {cpu_ms[size][0]:>19.1f}  {cpu_ms[size][1]:>16.1f}  "
              f"{per_node} (minimum {MIN_EXCHANGES})")
    if 1 in medians and max(sizes) > 1:
        biggest = max(sizes)
        ratio = medians[biggest] / medians[1]
        print(f"scan({biggest})/scan(1) = {ratio:.2f} (target <= 1.5)")
        scanner, peer = (ms * biggest / 1000 for ms in cpu_ms[biggest])
        floor = max(peer, (scanner + peer) / cpus, medians[1])
        print(f"CPU for {biggest} nodes: scanner {scanner:.2f} s, peer {peer:.2f} s, {cpus} CPUs, "
              f"scan(1) {medians[1]:.2f} s -> scan({biggest}) >= {floor:.2f} s even with every CPU free "
              f"(scan({biggest})/scan(1) >= {floor / medians[1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
