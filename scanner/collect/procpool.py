"""A pool of scanner processes for large clusters and fleets: the nodes spread over the machine's cores.

Collecting a node is CPU work under the GIL (pypsrp builds and parses XML, requests and http.client
handle five exchanges, the output is decoded and checked): about 6 ms per node with realistic facts,
so one process tops out near 150 nodes a second however many threads wait on the network, and with
64 threads the GIL hand-offs add half as much again. Each worker process has its own threads and
its own pypsrp sessions and takes nodes from a shared counter, so a slow node holds up no other.

The workers are forked: they inherit the imported modules, the targets, the credentials and the
collect function, so nothing but node results crosses a pipe (no secret is pickled), and a worker
starts in milliseconds instead of re-importing pypsrp. They are forked before the caller starts any
thread of its own (the progress display, the result pump), as forking a threaded process is unsafe.
Where fork is not available (Windows) `process_count` says 1 and the caller keeps its threads.

Ctrl-C: the workers ignore SIGINT; the caller's stop event ends them (SIGTERM), abandoning their
requests in flight as the thread pool does.
"""
from __future__ import annotations

import contextlib
import marshal
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, NamedTuple, TypeVar

from scanner.collect.winrm import NodeResult
from scanner.credentials import Credentials
from scanner.gcpause import kept_frozen
from scanner.inventory import NodeTarget

K = TypeVar("K")  # how the caller names a node (its index, or cluster and node index in a fleet)
Collector = Callable[[NodeTarget, Credentials], NodeResult]
Outcome = tuple[Any, "NodeResult | BaseException"]

# Below this many nodes per process a worker costs more than it saves: forking, and the parent
# receiving each result through a pipe, are ~2 ms of CPU per worker and ~0.2 ms per node.
MIN_NODES_PER_PROCESS = 16
POLL_S = 0.2  # how often the pump looks at the stop event
GATE_POLL_S = 0.05  # how often a worker held by the window looks at it again


def process_count(nodes: int, cpus: int | None = None) -> int:
    """Scanner processes for `nodes` nodes: one per core the process may use, at most one per
    MIN_NODES_PER_PROCESS nodes, and 1 where processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, nodes // MIN_NODES_PER_PROCESS))


class ProcessPool(Generic[K]):
    """Forks `processes` workers at once; results() then streams their node results.

    Each worker runs ceil(parallel / processes) threads, so `parallel` stays the number of nodes in
    flight across the pool.
    """

    def __init__(self, items: Sequence[tuple[K, NodeTarget]], collect: Collector,
                 credentials: Mapping[K, Credentials], *, parallel: int, processes: int,
                 limit: int | None = None) -> None:
        context = multiprocessing.get_context("fork")
        self._items = list(items)
        self._next = context.Value("l", 0)  # index of the next item to take, shared by the workers
        # items from this index wait until open_to() moves it (scanner/collect/window.py)
        self._limit = context.Value("l", len(self._items) if limit is None else limit)
        self._workers: list[tuple[Any, Connection]] = []
        threads = max(1, math.ceil(parallel / processes))
        # Every object the workers inherit is moved out of the collector's generations across the
        # fork: a worker's collections then never walk them (each walk writes to the objects, so
        # the pages shared with this process would be copied: ~1 ms of CPU per node).
        with kept_frozen() as keep:
            keep()
            self._fork(context, collect, credentials, threads, processes)

    def _fork(self, context: Any, collect: Collector, credentials: Mapping[K, Credentials], threads: int,
              processes: int) -> None:
        for _ in range(processes):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_worker, name="rollready-scanner", daemon=True,
                                      args=(self._items, self._next, self._limit, collect, credentials, threads, writer))
            process.start()
            writer.close()  # the parent's copy: the reader then sees EOF when the worker is gone
            self._workers.append((process, reader))

    def open_to(self, limit: int) -> None:
        """Items below `limit` may start."""
        self._limit.value = limit

    def results(self, started: Callable[[K], None], finished: Callable[[K, NodeResult], None],
                stop: threading.Event) -> queue.Queue[Outcome]:
        """A queue that receives (key, NodeResult) for every item, or (key, exception) for a bug in
        the collect function or a worker that died; started/finished are called as nodes go."""
        out: queue.Queue[Outcome] = queue.Queue()
        threading.Thread(target=self._pump, args=(started, finished, stop, out), name="rollready-pool",
                         daemon=True).start()
        return out

    def _pump(self, started: Callable[[K], None], finished: Callable[[K, NodeResult], None],
              stop: threading.Event, out: queue.Queue[Outcome]) -> None:
        keys = [key for key, _ in self._items]
        done: set[int] = set()
        open_readers = {reader for _, reader in self._workers}
        try:
            while open_readers and not stop.is_set():
                for reader in wait(list(open_readers), timeout=POLL_S):
                    assert isinstance(reader, Connection)
                    try:
                        kind, index, payload = reader.recv()
                    except (EOFError, OSError):  # the worker is gone
                        open_readers.discard(reader)
                        reader.close()
                        continue
                    if kind == "started":
                        started(keys[index])
                        continue
                    done.add(index)
                    if isinstance(payload, _Marshalled):
                        payload = payload.result()
                    if isinstance(payload, NodeResult):
                        finished(keys[index], payload)
                    out.put((keys[index], payload))
        finally:
            for reader in open_readers:
                reader.close()
        if not stop.is_set():
            for index in sorted(set(range(len(keys))) - done):
                out.put((keys[index], RuntimeError("a scanner process ended before collecting this node")))

    def __enter__(self) -> ProcessPool[K]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait for the workers, ending those still running (after a stop or an error their requests
        in flight are abandoned). Called by the owner, from one thread."""
        for process, _ in self._workers:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)


class _Marshalled(NamedTuple):
    """A NodeResult crossing the pipe with its output as marshal bytes.

    The pipe pickles what it sends, and pickle keeps a memo of every object of the 200 KB output:
    1.7 ms of CPU per node to pickle in the worker and unpickle here, against 1.2 ms with marshal,
    which writes the JSON-shaped values (dict, list, str, int, float, bool, None) as they are. Both
    ends are the same interpreter (forked), as marshal requires."""

    shell: NodeResult  # the result with an empty output
    output: bytes

    @classmethod
    def of(cls, result: object) -> object:
        """result, marshalled when it is a NodeResult whose output marshal can write."""
        if isinstance(result, NodeResult):
            with contextlib.suppress(ValueError):
                return cls(replace(result, output={}), marshal.dumps(result.output))
        return result

    def result(self) -> NodeResult:
        return replace(self.shell, output=marshal.loads(self.output))


def _worker(items: list[tuple[Any, NodeTarget]], next_index: Any, limit: Any, collect: Collector,
            credentials: Mapping[Any, Credentials], threads: int, writer: Connection) -> None:
    """In the forked process: `threads` threads take items from the shared counter until none is
    left, each starting once its index is below the shared limit (the parent ends the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    lock = threading.Lock()

    def send(message: tuple[str, int, object]) -> None:
        with lock:
            writer.send(message)

    def run() -> None:
        while True:
            with next_index.get_lock():
                index = next_index.value
                next_index.value += 1
            if index >= len(items):
                return
            while index >= limit.value:
                time.sleep(GATE_POLL_S)
            key, node = items[index]
            send(("started", index, None))
            try:
                result: object = collect(node, credentials[key])
            except Exception as exc:  # a bug: handed to the parent, which re-raises it
                result = RuntimeError(f"{type(exc).__name__}: {exc}")
            send(("finished", index, _Marshalled.of(result)))

    pool = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    writer.close()
