"""scanner/collect/deadline.py without a lab: one watchdog thread per process serves every node's
deadline, cuts the sockets of a node that overran it (and again when its cleanup grace ends),
and leaves a finished node alone."""
from __future__ import annotations

import socket
import threading
import time

from scanner.collect import deadline as deadline_module
from scanner.collect.deadline import DeadlineExpired, NodeDeadline


def _pair() -> tuple[socket.socket, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    return client, server


def test_a_node_past_its_deadline_has_its_reads_cut_and_no_new_connection_admitted() -> None:
    client, server = _pair()
    with NodeDeadline(0.3, grace=0.3) as deadline:
        deadline._track(client)
        started = time.monotonic()
        assert client.recv(10) == b""  # the blocked read ends when the watchdog shuts the socket down
        assert 0.25 <= time.monotonic() - started < 10 and deadline.expired
        try:
            deadline._admit()
            raise AssertionError("a connection was admitted after the deadline")
        except DeadlineExpired:
            pass
        with deadline.cleanup():
            deadline._admit()  # the cleanup window admits one
            late, peer = _pair()
            deadline._track(late)
            assert late.recv(10) == b""  # and is cut when the grace ends
    for s in (client, server, late, peer):
        s.close()


def test_a_finished_node_is_left_alone_and_many_nodes_share_one_thread() -> None:
    pairs = [_pair() for _ in range(20)]
    deadlines = [NodeDeadline(0.2) for _ in pairs]
    for d, (client, _) in zip(deadlines, pairs):
        d.__enter__()
        d._track(client)
    for d in deadlines[:10]:
        d.__exit__(None, None, None)
    watchdogs = [t for t in threading.enumerate() if t.name == "rollready-deadlines"]
    assert len(watchdogs) == 1
    time.sleep(0.6)
    assert not any(d.expired for d in deadlines[:10]) and all(d.expired for d in deadlines[10:])
    for client, _ in pairs[:10]:
        client.setblocking(False)
        try:
            client.recv(10)
            raise AssertionError("a finished node's socket was shut down")
        except BlockingIOError:
            pass  # still open: nothing to read
    for d in deadlines[10:]:
        d.__exit__(None, None, None)
    for client, server in pairs:
        client.close()
        server.close()


def test_an_earlier_deadline_wakes_the_sleeping_watchdog() -> None:
    """The thread sleeps towards the earliest deadline; a shorter one added later is still kept."""
    client, server = _pair()
    with NodeDeadline(3600):
        with NodeDeadline(0.2) as short:
            short._track(client)
            started = time.monotonic()
            assert client.recv(10) == b""
            assert time.monotonic() - started < 5
    client.close()
    server.close()
    assert deadline_module._WATCHDOG._thread is not None
