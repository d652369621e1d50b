"""A wall-clock deadline around one node's WinRM exchanges, enforced from outside pypsrp.

Why from outside: pypsrp 0.9 has no overall deadline. `read_timeout` bounds only the gap between
two bytes (a node that trickles one byte every few seconds is never cut), and
`PowerShell.poll_invoke` treats the WS-Man OperationTimeout fault (2150858793) as "poll again" (a
pipeline whose provider never answers is polled for ever). So every socket the node's `requests`
session opens is tracked, and when the deadline passes a watchdog thread (one per process, for
every node) shuts them down: the read
blocked in the worker thread fails at once, and any later attempt to connect raises
`DeadlineExpired`. The worker may then ask for a short `cleanup()` window to stop the pipeline and
delete the shell on a fresh connection (the server may still be listening); when that window ends,
its connections are cut as well. A node therefore costs at most `seconds + CLEANUP_GRACE`.

The hook is the same one pypsrp's own `_pool_manager` uses: the adapter's per-instance
`pool_classes_by_scheme`, wrapped so each new pool wraps its connection class, so that each new
connection's `connect()` is seen.
"""
from __future__ import annotations

import functools
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

CLEANUP_GRACE = 5.0  # seconds allowed, after the deadline, to stop the pipeline and delete the shell
UNATTENDED_SCAN_TIMEOUT = 4 * 3600  # an unattended run without --scan-timeout: it never holds its lock for ever
T = TypeVar("T")


@dataclass(frozen=True)
class Deadlines:
    """A scan's wall-clock budgets (seconds). node_timeout None: each node's transport.node_timeout
    (inventory, default 600); scan_timeout None: no bound on the whole collection."""

    node_timeout: float | None = None
    scan_timeout: float | None = None


class DeadlineExpired(Exception):
    """The node's deadline passed: no new connection is opened for it (outside cleanup())."""


class NodeDeadline:
    """`with NodeDeadline(600) as deadline: deadline.watch(session); ...` — see the module docstring."""

    def __init__(self, seconds: float, *, grace: float = CLEANUP_GRACE) -> None:
        self.seconds = seconds
        self.grace = grace
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = threading.Event()
        self._cleaning = False
        self.finished = False  # the with-block ended: the watchdog lets this deadline be

    def __enter__(self) -> NodeDeadline:
        _WATCHDOG.add(self._ends, self._expire)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.finished = True
            self._sockets.clear()

    @property
    def expired(self) -> bool:
        return self._expired.is_set()

    def watch(self, session: requests.Session) -> None:
        """Track every connection this session's adapters open from now on."""
        for adapter in session.adapters.values():
            manager = getattr(adapter, "poolmanager", None)
            if manager is None:
                continue
            manager.pool_classes_by_scheme = {
                scheme: _after(pool_cls, self._hook_pool) for scheme, pool_cls in manager.pool_classes_by_scheme.items()
            }

    @contextmanager
    def cleanup(self) -> Iterator[None]:
        """After expiry: new connections are allowed for `grace` seconds, then cut too."""
        with self._lock:
            self._cleaning = True
        try:
            yield
        finally:
            with self._lock:
                self._cleaning = False

    def _hook_pool(self, pool: Any) -> None:
        pool.ConnectionCls = _after(pool.ConnectionCls, self._hook_connection)

    def _hook_connection(self, connection: Any) -> None:
        connect = connection.connect

        @functools.wraps(connect)
        def guarded_connect(*args: Any, **kwargs: Any) -> Any:
            self._admit()
            result = connect(*args, **kwargs)
            self._track(connection.sock)
            return result

        connection.connect = guarded_connect

    def _admit(self) -> None:
        with self._lock:
            if self._expired.is_set() and not self._cleaning:
                raise DeadlineExpired(f"node deadline of {self.seconds:g} s reached")

    def _track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            cut = self._expired.is_set() and not self._cleaning
        if cut:
            _shutdown(sock)

    def _expire(self) -> None:
        """The deadline passed: cut every connection, and again when the cleanup grace ends."""
        with self._lock:
            if self.finished:
                return
            self._expired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)
        _WATCHDOG.add(time.monotonic() + self.grace, self._end_grace)

    def _end_grace(self) -> None:
        with self._lock:
            if self.finished:
                return
            self._cleaning = False
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


class _Watchdog:
    """One thread per process for every node's deadline, started with the first one.

    A thread per node cost little alone, but with 64 nodes in flight each node's end woke its own
    watchdog (Event.set → a thread switch under the GIL): a quarter of the scanner's GIL time at
    --parallel 64 (py-spy). Here a node's end only sets a flag; the thread sleeps until the earliest
    pending deadline and drops the finished ones when their time comes. Reset in a forked child
    (the pool's workers), which has the parent's memory but not its thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: list[tuple[float, int, Callable[[], None]]] = []  # (when, order, action), a heap
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, when: float, action: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._pending, (when, next(self._order), action))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rollready-deadlines", daemon=True)
                self._thread.start()
            elif self._pending[0][2] is action:  # earlier than what the thread sleeps towards
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending or self._pending[0][0] > time.monotonic():
                    self._changed.wait(None if not self._pending else self._pending[0][0] - time.monotonic())
                _, _, action = heapq.heappop(self._pending)
            action()  # a finished deadline's action does nothing


_WATCHDOG = _Watchdog()


def _reset_in_child() -> None:
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


os.register_at_fork(after_in_child=_reset_in_child)


def _after(factory: Callable[..., T], hook: Callable[[T], None]) -> Callable[..., T]:
    """factory, calling hook on each object it makes."""

    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> T:
        made = factory(*args, **kwargs)
        hook(made)
        return made

    return make


def _shutdown(sock: socket.socket) -> None:
    """Wake any thread blocked reading this socket. The plain socket's shutdown, even for an
    SSLSocket: the TLS object belongs to the reading thread and is not touched from here."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
