"""Scan one cluster, or a fleet of them through one node budget: every node in parallel, per-node errors kept, Ctrl-C keeps what was collected.

A node that fails becomes an unreachable-node entry in the facts (its rules are `unknown`, so the
verdict is INCOMPLETE). A node not collected because the scan was interrupted becomes one too
(section `interrupted`) and the scan is marked partial: an interrupted scan can never look complete.
A cluster whose nodes report another cluster's name gets no facts (ClusterMismatch): one cluster
alone stops with that one-line error, a fleet reports it and goes on with the others.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scanner import __version__, notices
from scanner.collect import COLLECTOR_VERSION, collector_script
from scanner.collect.deadline import CLEANUP_GRACE, Deadlines
from scanner.collect.procpool import ProcessPool, process_count
from scanner.collect.progress import DisplayFactory, NodeKey, NoDisplay
from scanner.collect.window import StartWindow, ThreadGate
from scanner.collect.winrm import NodeResult, auth_support_problem, collect_node, prepare, unreachable
from scanner.credentials import CredentialResolver, Credentials
from scanner.errors import InputError, Problem
from scanner.facts.coverage import cluster_conflicts, conflict_line, repeated_nodes
from scanner.facts.model import FactsDoc, ScanInput
from scanner.facts.outputs import facts_from_outputs, is_collector_output
from scanner.gcpause import kept_frozen
from scanner.inventory import Cluster, NodeTarget
from scanner.provenance import collection_provenance, os_user
from scanner.times import format_utc, utc_now
from scanner.versions import RELEASES

log = logging.getLogger(__name__)

DEFAULT_PARALLEL = 16
Collector = Callable[[NodeTarget, Credentials], NodeResult]


@dataclass(frozen=True)
class ScanMeta:
    """What the facts' `scan` block records besides what the scan itself learns."""

    method: str = "winrm"  # winrm | lab
    phase: str | None = None
    target_os: str | None = None
    source_os: str | None = None  # default: the oldest release among the reachable nodes
    inventory: str | None = None
    operator: str | None = None
    command_line: tuple[str, ...] = ()  # as typed (redacted before it is stored): provenance


@dataclass(frozen=True)
class ScanResult:
    facts: FactsDoc  # as collected: the pipeline never edits it (scanner/pipeline/cluster.py)
    results: tuple[NodeResult, ...]  # in inventory order; interrupted nodes are absent
    partial: bool
    cluster: str  # the inventory's name for the cluster (the facts carry what the nodes report)


@dataclass(frozen=True)
class ClusterMismatch:
    """A cluster whose reached nodes report another cluster's name (or, with no name of its own, several
    clusters' names), or two of whose inventory entries reached the same node: the inventory is wrong. Its facts are not built, so it is never evaluated, written
    or recorded (one cluster's facts and history are never merged with another's). A value, not an
    exception, so a fleet reports it and goes on; a one-cluster scan raises error()."""

    cluster: str  # the inventory's name
    conflicts: tuple[tuple[str, str], ...]  # (node, the cluster name it reports): server text; () for a repeat
    line: str  # the one line naming the nodes, the clusters they report and the inventory's cluster
    results: tuple[NodeResult, ...]
    partial: bool
    inventory: str | None

    def error(self) -> InputError:
        return InputError([Problem(self.line, file=self.inventory)])


@dataclass(frozen=True)
class CollectOptions:
    """How the nodes are collected: the same for one cluster and for a fleet, so both take this one value.

    resolver: where the credentials come from (prompts happen before any display starts).
    parallel: nodes collected at once (for a fleet, the one node budget across all its clusters).
    display: makes the progress display for the clusters scanned (scanner/cli/progress.py); None: none.
    collect: collects one node (the real WinRM client; tests and the fault matrix put their own).
    deadlines: deadlines.node_timeout replaces every node's transport.node_timeout; deadlines.scan_timeout
    bounds the whole collection (wall clock): a node started late gets only what is left of it as its
    deadline, a node not started in time is reported with section `timeout`.
    processes: scanner processes sharing the nodes (scanner/collect/procpool.py); None: one per core
    when there are enough nodes, each running its share of the `parallel` workers.
    """

    resolver: CredentialResolver
    parallel: int = DEFAULT_PARALLEL
    display: DisplayFactory | None = None
    collect: Collector = collect_node
    deadlines: Deadlines = Deadlines()
    processes: int | None = None


def scan_cluster(cluster: Cluster, meta: ScanMeta, options: CollectOptions) -> ScanResult:
    """Collect every node of cluster and build the facts document (a fleet of one); InputError when
    its nodes report another cluster."""
    scanned = next(iter(scan_fleet((cluster,), meta, options)))
    if isinstance(scanned, ClusterMismatch):
        raise scanned.error()
    return scanned


def scan_fleet(clusters: Sequence[Cluster], meta: ScanMeta,
               options: CollectOptions) -> Iterator[ScanResult | ClusterMismatch]:
    """Collect every node of every cluster through one pool of `options.parallel` workers (the fleet's
    one node budget, whatever the number of clusters) and yield each cluster's ScanResult as soon as
    its last node is in, so it can be evaluated while the others are still collected.

    Nodes are queued cluster after cluster: the first clusters complete first and the facts held
    in memory at any time are those of a few clusters. On Ctrl-C the clusters not yet complete are
    yielded as partial (their missing nodes marked `interrupted`). The scan deadline bounds the
    collection of the whole fleet. A cluster whose nodes report another cluster is yielded as a
    ClusterMismatch, and the others go on."""
    resolver, parallel, collect, deadlines = options.resolver, options.parallel, options.collect, options.deadlines
    nodes = [n for c in clusters for n in c.nodes]
    unsupported = sorted({p for p in (auth_support_problem(a) for a in {n.transport.auth for n in nodes}) if p})
    if unsupported:
        where = clusters[0].name if len(clusters) == 1 else ", ".join(c.name for c in clusters)
        raise InputError([Problem(p, file=f"cluster {where}") for p in unsupported])
    credentials = {(ci, ni): resolver.resolve(n.credentials, auth=n.transport.auth, where=f"cluster {c.name}")
                   for ci, c in enumerate(clusters) for ni, n in enumerate(c.nodes)}  # prompts before any display
    for cluster in clusters:
        warn_insecure(cluster)
    collected_at = _now()
    results: list[dict[int, NodeResult]] = [{} for _ in clusters]  # by position: names are not unique before collection
    pending = set(range(len(clusters)))
    stop = threading.Event()
    items = [((ci, ni), n) for ci, c in enumerate(clusters) for ni, n in enumerate(c.nodes)]

    scan_timeout = deadlines.scan_timeout
    scan_ends = None if scan_timeout is None else time.monotonic() + scan_timeout

    def build(ci: int, partial: bool) -> ScanResult | ClusterMismatch:
        return _cluster_result(clusters[ci], meta, collected_at, results[ci], partial, scan_timeout)

    def bounded(node: NodeTarget, creds: Credentials) -> NodeResult:
        """collect, within the node's deadline and what is left of the scan's."""
        budget = deadlines.node_timeout or node.transport.node_timeout
        if scan_ends is not None:
            left = scan_ends - time.monotonic()
            if left <= 0:
                return NodeResult(node.name, unreachable(node.name, "timeout", _scan_deadline(scan_timeout)), 0, 0)
            budget = min(budget, left)
        if budget != node.transport.node_timeout:
            node = replace(node, transport=replace(node.transport, node_timeout=budget))
        return collect(node, creds)

    window = StartWindow([len(c.nodes) for c in clusters], parallel)
    processes = process_count(len(items)) if options.processes is None else options.processes
    # Forked before the display (or anything else) starts a thread.
    if processes > 1:
        prepare(node for _, node in items)  # once here, inherited by every worker
    pool = ProcessPool(items, bounded, credentials, parallel=parallel, processes=processes,
                       limit=window.limit) if processes > 1 else None
    gate = ThreadGate(window.limit)
    open_to = pool.open_to if pool is not None else gate.open_to

    with pool or contextlib.nullcontext(), kept_frozen() as keep, \
            (options.display or NoDisplay)([(c.name, [n.name for n in c.nodes]) for c in clusters]) as display:

        def finished(key: NodeKey, result: NodeResult) -> None:
            keep()  # the node's decoded output stays to the end: later collections leave it alone
            display.finished(key, result)

        def taken(ci: int) -> None:
            """The consumer is done with cluster ci: its results are let go and later nodes may start."""
            results[ci] = {}
            open_to(window.taken(ci))

        def one(key: NodeKey, node: NodeTarget) -> NodeResult:
            display.started(key)
            result = bounded(node, credentials[key])
            finished(key, result)
            return result

        try:
            if pool is not None:
                finished_results = pool.results(display.started, finished, stop)
            else:
                finished_results = _run_workers(items, one, parallel, stop, gate)
            for ci in sorted(ci for ci in pending if not clusters[ci].nodes):
                pending.discard(ci)
                yield build(ci, False)
                taken(ci)
            # Every node's own deadline ends by scan_ends; the slack covers its cleanup grace.
            give_up = None if scan_ends is None else scan_ends + CLEANUP_GRACE + 5
            try:
                while pending:
                    got = next_result(finished_results, until=give_up)
                    if got is None:  # a collector function that ignored its deadline: do not wait for it
                        stop.set()
                        for ci in sorted(pending):
                            yield build(ci, False)
                        return
                    (ci, ni), outcome = got
                    if isinstance(outcome, BaseException):
                        raise outcome  # a bug in a collector function, not a node problem
                    results[ci][ni] = outcome
                    if len(results[ci]) == len(clusters[ci].nodes):
                        pending.discard(ci)
                        yield build(ci, False)
                        taken(ci)
            except KeyboardInterrupt:
                stop.set()
                done = sum(len(r) for r in results)
                notices.warn(log, f"scan interrupted: keeping the {done} of {len(items)} nodes already collected; "
                                  "requests in flight are abandoned")
                for ci in sorted(pending):
                    yield build(ci, True)
        finally:
            stop.set()  # the consumer stopped early (an error while reporting): no new nodes


def _cluster_result(cluster: Cluster, meta: ScanMeta, collected_at: str, results: dict[int, NodeResult],
                    partial: bool, scan_timeout: float | None) -> ScanResult | ClusterMismatch:
    ordered = tuple(results[i] for i in sorted(results))
    outputs = []
    for i, node in enumerate(cluster.nodes):
        if i in results:
            outputs.append(with_inventory_name(results[i].output, node.name))
        elif partial:
            outputs.append(unreachable(node.name, "interrupted", "scan interrupted before this node was collected"))
        else:
            outputs.append(unreachable(node.name, "timeout", _scan_deadline(scan_timeout)))
    expected = cluster.name if cluster.named else None
    conflicts = cluster_conflicts(expected, [(o["node"]["name"], (o.get("cluster") or {}).get("name"))
                                             for o in outputs if is_collector_output(o)])
    if conflicts:
        return ClusterMismatch(cluster.name, tuple(conflicts), conflict_line(expected, conflicts), ordered, partial,
                               meta.inventory)
    repeated = repeated_nodes((node.name, results[i].output["node"]["name"]) for i, node in enumerate(cluster.nodes)
                              if i in results and is_collector_output(results[i].output))
    if repeated:
        return ClusterMismatch(cluster.name, (), repeated, ordered, partial, meta.inventory)
    scan: ScanInput = {
        "tool_version": __version__,
        "collected_at": collected_at,
        "method": meta.method,
        "phase": meta.phase,
        "source_os": meta.source_os or oldest_release(outputs),
        "target_os": meta.target_os,
        "operator": meta.operator or os_user(),
        "inventory": meta.inventory,
        "partial": partial,
        "cluster_name": cluster.name,
        "provenance": collection_provenance(cluster, command_line=meta.command_line, inventory=meta.inventory,
                                            collector_version=COLLECTOR_VERSION, collector_text=collector_script()),
    }
    facts = facts_from_outputs(outputs, scan, handed_over=True)  # the results' outputs: decoded for this scan
    return ScanResult(facts, ordered, partial, cluster.name)


def with_inventory_name(output: dict[str, Any], inventory_name: str) -> dict[str, Any]:
    """Keep the inventory's name for the node beside the computer name it reports (scanner/facts/coverage.py)."""
    if not is_collector_output(output) or output["node"].get("name") == inventory_name:
        return output
    return {**output, "node": {**output["node"], "inventory_name": inventory_name}}


def _run_workers(items: list[tuple[NodeKey, NodeTarget]], one: Callable[[NodeKey, NodeTarget], NodeResult],
                 parallel: int, stop: threading.Event,
                 gate: ThreadGate) -> queue.Queue[tuple[NodeKey, NodeResult | BaseException]]:
    """Start min(parallel, nodes) daemon workers; each result lands in the returned queue. An item
    starts once the gate admits its index (scanner/collect/window.py).

    Daemon threads, not a ThreadPoolExecutor: the executor's exit handler joins running threads, so
    after a Ctrl-C the process would wait for every in-flight request to time out (and a second
    Ctrl-C would print a traceback). Abandoned requests only leave a read-only remote shell that the
    WinRM service closes on its idle timeout.
    """
    todo: queue.Queue[tuple[int, NodeKey, NodeTarget]] = queue.Queue()
    for index, (key, node) in enumerate(items):
        todo.put((index, key, node))
    finished: queue.Queue[tuple[NodeKey, NodeResult | BaseException]] = queue.Queue()

    def worker() -> None:
        while not stop.is_set():
            try:
                index, key, node = todo.get_nowait()
            except queue.Empty:
                return
            gate.wait(index, stop)
            if stop.is_set():
                return
            try:
                finished.put((key, one(key, node)))
            except BaseException as exc:  # handed to the main thread, which re-raises it
                finished.put((key, exc))

    for i in range(max(1, min(parallel, len(items)))):
        threading.Thread(target=worker, name=f"rollready-node-{i}", daemon=True).start()
    return finished


def next_result(finished: queue.Queue[tuple[NodeKey, NodeResult | BaseException]],
                until: float | None = None) -> tuple[NodeKey, NodeResult | BaseException] | None:
    """The next finished node, or None once the monotonic time `until` has passed; waits in short
    slices so Ctrl-C is seen at once."""
    while until is None or time.monotonic() < until:
        try:
            return finished.get(timeout=0.2)
        except queue.Empty:
            continue
    return None


def _scan_deadline(seconds: float | None) -> str:
    return f"not collected within the scan deadline of {seconds:g} s"


def warn_insecure(cluster: Cluster) -> None:
    """Say it loudly, once per scan, when TLS is not verified or a password crosses in clear."""
    unverified = [n.name for n in cluster.nodes if n.transport.scheme == "https" and n.transport.cert_validation is False]
    if unverified:
        notices.warn(log, f"TLS CERTIFICATE VALIDATION IS DISABLED for {', '.join(unverified)}: anyone on the network "
                          "path can impersonate these nodes and capture the credentials sent to them")
    clear = [n.name for n in cluster.nodes if n.transport.scheme == "http" and n.transport.auth == "basic"]
    if clear and not all(n.host.startswith("127.") or n.host == "localhost" for n in cluster.nodes if n.name in clear):
        notices.warn(log, f"basic authentication over plain HTTP for {', '.join(clear)}: the password crosses the "
                          "network readable")


def oldest_release(outputs: list[dict[str, Any]]) -> str | None:
    releases = [((o.get("node") or {}).get("os") or {}).get("release") for o in outputs]
    known = [r for r in releases if r in RELEASES]
    return min(known, key=RELEASES.index) if known else None


def _now() -> str:
    return format_utc(utc_now())
