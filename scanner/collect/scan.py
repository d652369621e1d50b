"""Scan one cluster: every node in parallel, per-node errors kept, Ctrl-C keeps what was collected.

A node that fails becomes an unreachable-node entry in the facts (its rules are `unknown`, so the
verdict is INCOMPLETE). A node not collected because the scan was interrupted becomes one too
(section `interrupted`) and the scan is marked partial: an interrupted scan can never look complete.
"""
from __future__ import annotations

import getpass
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from scanner import __version__
from scanner.collect import COLLECTOR_VERSION, collector_script
from scanner.collect.deadline import CLEANUP_GRACE, Deadlines
from scanner.collect.winrm import NodeResult, auth_support_problem, collect_node, unreachable
from scanner.coverage import foreign_nodes
from scanner.credentials import CredentialResolver, Credentials
from scanner.errors import InputError, Problem
from scanner.facts import facts_from_outputs, is_collector_output
from scanner.inert import inert
from scanner.inventory import Cluster, NodeTarget
from scanner.provenance import collection_provenance
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
    facts: dict[str, Any]
    results: tuple[NodeResult, ...]  # in inventory order; interrupted nodes are absent
    partial: bool


# A frame of 64 nodes takes rich about 15 ms to render, under the GIL the collecting threads need:
# at rich's default 10 frames a second the display alone took 15 % of a CPU during a 64-node scan.
REFRESH_PER_SECOND = 2


class Progress:
    """Per-node progress on stderr; silent when stderr is not a terminal."""

    def __init__(self, names: list[str], enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._rich: Any = None
        self._tasks: dict[str, Any] = {}
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._rich = RichProgress(
                SpinnerColumn(), TextColumn("{task.description:<20}"), TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=False,
                refresh_per_second=REFRESH_PER_SECOND,
            )
            for name in names:
                self._tasks[name] = self._rich.add_task(_escape(name), total=1, start=False, status="waiting")

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def started(self, name: str) -> None:
        if self._rich is not None:
            self._rich.start_task(self._tasks[name])
            self._rich.update(self._tasks[name], status="collecting")

    def finished(self, result: NodeResult) -> None:
        if self._rich is None:
            return
        error = result.error
        status = "[green]collected[/]" if error is None else f"[red]{error['section']}:[/] {_escape(error['message'])}"
        self._rich.update(self._tasks[result.name], completed=1, status=status)


def _escape(text: str) -> str:
    """Inert for rich: no markup, no escape sequence, one line."""
    from rich.markup import escape

    return escape(inert(text))


def scan_cluster(
    cluster: Cluster,
    meta: ScanMeta,
    *,
    resolver: CredentialResolver,
    parallel: int = DEFAULT_PARALLEL,
    progress: bool | None = None,
    collect: Collector = collect_node,
    deadlines: Deadlines = Deadlines(),
) -> ScanResult:
    """Collect every node of cluster and build the facts document.

    deadlines.node_timeout replaces every node's transport.node_timeout; deadlines.scan_timeout
    bounds the whole collection (wall clock): a node started late gets only what is left of it as
    its deadline, a node not started in time is reported with section `timeout`.
    """
    unsupported = sorted({p for p in (auth_support_problem(a) for a in {n.transport.auth for n in cluster.nodes}) if p})
    if unsupported:
        raise InputError([Problem(p, file=f"cluster {cluster.name}") for p in unsupported])
    credentials = {n.name: resolver.resolve(n.credentials, auth=n.transport.auth, where=f"cluster {cluster.name}")
                   for n in cluster.nodes}  # prompts happen here, before any progress display
    warn_insecure(cluster)
    collected_at = _now()
    results: dict[int, NodeResult] = {}  # by position: names are not unique before collection
    partial = False
    stop = threading.Event()

    scan_timeout = deadlines.scan_timeout
    scan_ends = None if scan_timeout is None else time.monotonic() + scan_timeout

    with Progress([n.name for n in cluster.nodes], progress) as display:

        def one(node: NodeTarget) -> NodeResult:
            budget = deadlines.node_timeout or node.transport.node_timeout
            if scan_ends is not None:
                left = scan_ends - time.monotonic()
                if left <= 0:
                    return NodeResult(node.name, unreachable(node.name, "timeout", _scan_deadline(scan_timeout)), 0, 0)
                budget = min(budget, left)
            if budget != node.transport.node_timeout:
                node = replace(node, transport=replace(node.transport, node_timeout=budget))
            display.started(node.name)
            result = collect(node, credentials[node.name])
            display.finished(result)
            return result

        finished = _run_workers(cluster.nodes, one, parallel, stop)
        # Every node's own deadline ends by scan_ends; the slack covers its cleanup grace.
        give_up = None if scan_ends is None else scan_ends + CLEANUP_GRACE + 5
        try:
            while len(results) < len(cluster.nodes):
                got = next_result(finished, until=give_up)
                if got is None:  # a collector function that ignored its deadline: do not wait for it
                    stop.set()
                    break
                index, outcome = got
                if isinstance(outcome, BaseException):
                    raise outcome  # a bug in a collector function, not a node problem
                results[index] = outcome
        except KeyboardInterrupt:
            stop.set()
            partial = True
            warn(f"scan interrupted: keeping the {len(results)} of {len(cluster.nodes)} nodes already collected; "
                 "requests in flight are abandoned")

    outputs = []
    for i, node in enumerate(cluster.nodes):
        if i in results:
            outputs.append(with_inventory_name(results[i].output, node.name))
        elif partial:
            outputs.append(unreachable(node.name, "interrupted", "scan interrupted before this node was collected"))
        else:
            outputs.append(unreachable(node.name, "timeout", _scan_deadline(scan_timeout)))
    scan = {
        "tool_version": __version__,
        "collected_at": collected_at,
        "method": meta.method,
        "phase": meta.phase,
        "source_os": meta.source_os or oldest_release(outputs),
        "target_os": meta.target_os,
        "operator": meta.operator or _operator(),
        "inventory": meta.inventory,
        "partial": partial,
        "cluster_name": cluster.name,
        "provenance": collection_provenance(cluster, command_line=meta.command_line, inventory=meta.inventory,
                                            collector_version=COLLECTOR_VERSION, collector_text=collector_script()),
    }
    if cluster.named:
        foreign = foreign_nodes(cluster.name, [(o["node"]["name"], (o.get("cluster") or {}).get("name"))
                                               for o in outputs if is_collector_output(o)])
        if foreign:
            raise InputError([Problem(f"{'; '.join(foreign)}, not {cluster.name}: fix the inventory (a cluster's "
                                      "history is never merged with another's)", file=meta.inventory)])
    facts = facts_from_outputs(outputs, scan)
    ordered = tuple(results[i] for i in sorted(results))
    return ScanResult(facts, ordered, partial)


def with_inventory_name(output: dict[str, Any], inventory_name: str) -> dict[str, Any]:
    """Keep the inventory's name for the node beside the computer name it reports (scanner/coverage.py)."""
    if not is_collector_output(output) or output["node"].get("name") == inventory_name:
        return output
    return {**output, "node": {**output["node"], "inventory_name": inventory_name}}


def _run_workers(nodes: tuple[NodeTarget, ...], one: Callable[[NodeTarget], NodeResult], parallel: int,
                 stop: threading.Event) -> queue.Queue[tuple[int, NodeResult | BaseException]]:
    """Start min(parallel, nodes) daemon workers; each result lands in the returned queue.

    Daemon threads, not a ThreadPoolExecutor: the executor's exit handler joins running threads, so
    after a Ctrl-C the process would wait for every in-flight request to time out (and a second
    Ctrl-C would print a traceback). Abandoned requests only leave a read-only remote shell that the
    WinRM service closes on its idle timeout.
    """
    todo: queue.Queue[tuple[int, NodeTarget]] = queue.Queue()
    for item in enumerate(nodes):
        todo.put(item)
    finished: queue.Queue[tuple[int, NodeResult | BaseException]] = queue.Queue()

    def worker() -> None:
        while not stop.is_set():
            try:
                index, node = todo.get_nowait()
            except queue.Empty:
                return
            try:
                finished.put((index, one(node)))
            except BaseException as exc:  # handed to the main thread, which re-raises it
                finished.put((index, exc))

    for i in range(max(1, min(parallel, len(nodes)))):
        threading.Thread(target=worker, name=f"rollready-node-{i}", daemon=True).start()
    return finished


def next_result(finished: queue.Queue[tuple[int, NodeResult | BaseException]],
                until: float | None = None) -> tuple[int, NodeResult | BaseException] | None:
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
        warn(f"TLS CERTIFICATE VALIDATION IS DISABLED for {', '.join(unverified)}: anyone on the network path can "
             "impersonate these nodes and capture the credentials sent to them")
    clear = [n.name for n in cluster.nodes if n.transport.scheme == "http" and n.transport.auth == "basic"]
    if clear and not all(n.host.startswith("127.") or n.host == "localhost" for n in cluster.nodes if n.name in clear):
        warn(f"basic authentication over plain HTTP for {', '.join(clear)}: the password crosses the network readable")


def warn(message: str) -> None:
    """To the log (an unattended run's log file) and, always, to stderr: the package's loggers have
    no handler in an interactive run, and these must not go unseen."""
    log.warning(message)
    print(f"rollready: warning: {inert(message)}", file=sys.stderr, flush=True)


def oldest_release(outputs: list[dict[str, Any]]) -> str | None:
    releases = [((o.get("node") or {}).get("os") or {}).get("release") for o in outputs]
    known = [r for r in releases if r in RELEASES]
    return min(known, key=RELEASES.index) if known else None


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _now() -> str:
    return format_utc(utc_now())
