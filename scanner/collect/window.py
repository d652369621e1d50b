"""How far a fleet's collection may run ahead of the clusters its consumer has taken.

scan_fleet yields each cluster when its last node is in, and the consumer evaluates it and writes
its reports (seconds per cluster with a PDF) while the workers go on. Without a bound the workers
finish the whole fleet long before the consumer does, and every node's decoded output waits in
memory (1.7 GB for 1,000 realistic nodes). So a node may start only while it is within `span` nodes
of the first cluster (in queue order) the consumer has not taken yet: span = the node budget plus
the largest cluster, so that cluster can always be collected whole and the scan never waits on
itself. One cluster alone is never held back.
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence


class StartWindow:
    """The index (in the fleet's queue order) below which nodes may start."""

    def __init__(self, sizes: Sequence[int], parallel: int) -> None:
        self._starts = [0, *itertools.accumulate(sizes)]  # cluster i holds items starts[i]..starts[i+1]-1
        self._span = max(1, parallel) + max(sizes, default=0)
        self._taken = [False] * len(sizes)
        self._first = 0  # the first cluster not taken by the consumer

    @property
    def limit(self) -> int:
        return self._starts[self._first] + self._span

    def taken(self, cluster: int) -> int:
        """The consumer is done with this cluster; the new limit."""
        self._taken[cluster] = True
        while self._first < len(self._taken) and self._taken[self._first]:
            self._first += 1
        return self.limit


class ThreadGate:
    """The window for worker threads of this process: wait() until an item's index is below the limit."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._changed = threading.Condition()

    def open_to(self, limit: int) -> None:
        with self._changed:
            self._limit = limit
            self._changed.notify_all()

    def wait(self, index: int, stop: threading.Event) -> None:
        """Returns when the item may start, or when the scan stops (the caller checks stop)."""
        with self._changed:
            while index >= self._limit and not stop.is_set():
                self._changed.wait(timeout=0.2)  # stop is an Event of its own: looked at every 0.2 s
