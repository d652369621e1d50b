"""The per-node work rollready saves pypsrp and requests gives what their own code paths give.

Each shortcut of scanner/collect/winrm.py (and the process pool's) is checked against the path it
replaces: same request on the wire, same envelope room, same strings, same process state.
"""
from __future__ import annotations

import gc
import threading
from typing import Any

import pytest
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan, _TransportHTTP

from scanner.collect.procpool import ProcessPool
from scanner.collect.winrm import NodeResult, _Serializer, _Transport, _WSMan


def _sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The prepared requests handed to requests from now on (nothing is sent)."""
    sent: list[Any] = []

    def capture(self: _TransportHTTP, request: Any, timeout: Any = None) -> bytes:
        sent.append(request)
        return b""

    monkeypatch.setattr(_TransportHTTP, "_send_request", capture)
    return sent


def _wire(request: Any) -> tuple[Any, ...]:
    return request.method, request.url, dict(request.headers), request.body


@pytest.mark.parametrize("ssl", [False, True])
def test_a_request_from_the_template_is_the_one_pypsrp_prepares(monkeypatch: pytest.MonkeyPatch, ssl: bool) -> None:
    sent = _sent(monkeypatch)
    wsman = _WSMan("n1.example", port=5986 if ssl else 5985, ssl=ssl, auth="basic", username="LAB\\admin",
                   password="secret", encryption="auto" if ssl else "never")
    transport = wsman.transport
    assert isinstance(transport, _Transport)
    for body in (b"<first/>", b"<a-longer-second-envelope/>"):
        transport.send(body)  # the template's path
        _TransportHTTP.send(transport, body)  # pypsrp's own
    assert transport._template is not None
    assert [_wire(r) for r in sent[0::2]] == [_wire(r) for r in sent[1::2]]
    assert sent[2].headers["Content-Length"] == str(len(b"<a-longer-second-envelope/>"))
    assert sent[0].headers["Authorization"].startswith("Basic ")


def test_auth_that_acts_per_request_keeps_pypsrps_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """NTLM (message encryption over HTTP) and a server that set a cookie are left to pypsrp."""
    sent = _sent(monkeypatch)
    ntlm = _WSMan("n1.example", port=5986, ssl=True, auth="ntlm", username="LAB\\admin", password="secret")
    ntlm.transport.send(b"<x/>")
    assert ntlm.transport._template is None and len(sent) == 1
    basic = _WSMan("n1.example", port=5986, ssl=True, auth="basic", username="u", password="p")
    basic.transport.session = basic.transport._build_session()
    basic.transport.session.cookies.set("lb", "node-a")
    basic.transport.send(b"<x/>")
    assert basic.transport._template is None and sent[-1].headers["Cookie"] == "lb=node-a"


@pytest.mark.parametrize("server", ["n1.example", "127.0.0.1", "a-rather-long-node-name-42.cluster.corp.example"])
@pytest.mark.parametrize(("ssl", "operation_timeout", "size"), [(False, 20, 153600), (True, 600, 512000)])
def test_the_envelope_room_kept_per_process_is_pypsrps(server: str, ssl: bool, operation_timeout: int,
                                                       size: int) -> None:
    wsman = _WSMan(server, ssl=ssl, auth="basic", username="u", password="p", encryption="never",
                   operation_timeout=operation_timeout)
    assert wsman._calc_envelope_size(size) == WSMan._calc_envelope_size(wsman, size)  # pypsrp's, computed afresh
    wsman.update_max_payload_size(size)
    assert wsman.max_payload_size == WSMan._calc_envelope_size(wsman, size)


@pytest.mark.parametrize("text", ["plain JSON {\"a\": [1, 2]}", "line_x000A_break", "tab_x0009_and _x_ too",
                                  "", "ünïcödé _x00E9_"])
def test_strings_read_as_pypsrp_reads_them(text: str) -> None:
    assert _Serializer(lambda: ())._deserialize_string(text) == Serializer()._deserialize_string(text)
    assert _Serializer(lambda: ())._deserialize_string(None) == ""


def _nothing(node: Any, credentials: Any) -> NodeResult:
    return NodeResult("n", {"name": "n", "reachable": False, "errors": []}, 1, 0)


def test_the_pool_leaves_the_callers_garbage_collector_as_it_was() -> None:
    """The objects are frozen only across the fork (so the workers' collections skip them)."""
    gc.unfreeze()  # whatever an earlier test froze: the pool must leave nothing frozen behind
    with ProcessPool([(0, 0)], _nothing, {0: None}, parallel=1, processes=1) as pool:  # type: ignore[list-item]
        outcome = pool.results(lambda key: None, lambda key, result: None, threading.Event()).get(timeout=30)
    assert outcome[0] == 0 and isinstance(outcome[1], NodeResult)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
