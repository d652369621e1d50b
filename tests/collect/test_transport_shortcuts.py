"""The per-node work rollready saves pypsrp and requests gives what their own code paths give.

Each shortcut of scanner/collect/transport.py and protocol.py (and the process pool's) is checked against the path it
replaces: same request on the wire, same envelope room, same strings, same process state.
"""
from __future__ import annotations

import gc
import ssl
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan, _TransportHTTP

from scanner.collect.procpool import ProcessPool
from scanner.collect.protocol import _Serializer
from scanner.collect.transport import NodeWSMan, _Transport
from scanner.collect.winrm import NodeResult, collect_node
from scanner.lab.tls import make_certificates
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab

FAST = {"connect_timeout": 5, "read_timeout": 3.0, "operation_timeout": 1, "retries": 0}


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
    wsman = NodeWSMan("n1.example", port=5986 if ssl else 5985, ssl=ssl, auth="basic", username="LAB\\admin",
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
    ntlm = NodeWSMan("n1.example", port=5986, ssl=True, auth="ntlm", username="LAB\\admin", password="secret")
    ntlm.transport.send(b"<x/>")
    assert ntlm.transport._template is None and len(sent) == 1
    basic = NodeWSMan("n1.example", port=5986, ssl=True, auth="basic", username="u", password="p")
    basic.transport.session = basic.transport._build_session()
    basic.transport.session.cookies.set("lb", "node-a")
    basic.transport.send(b"<x/>")
    assert basic.transport._template is None and sent[-1].headers["Cookie"] == "lb=node-a"


@pytest.mark.parametrize("server", ["n1.example", "127.0.0.1", "a-rather-long-node-name-42.cluster.corp.example"])
@pytest.mark.parametrize(("ssl", "operation_timeout", "size"), [(False, 20, 153600), (True, 600, 512000)])
def test_the_envelope_room_kept_per_process_is_pypsrps(server: str, ssl: bool, operation_timeout: int,
                                                       size: int) -> None:
    wsman = NodeWSMan(server, ssl=ssl, auth="basic", username="u", password="p", encryption="never",
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


def test_one_tls_context_verifies_every_node_and_an_unknown_ca_is_still_refused(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """All nodes trusting one bundle are verified through one SSL context (the bundle is loaded once),
    which checks chain and host name; another bundle, a bundle changed on disk, or verification
    turned off get contexts of their own, and the shared one is never weakened."""
    contexts: list[ssl.SSLContext] = []
    wrap = ssl.SSLContext.wrap_socket

    def spy(self: ssl.SSLContext, sock: Any, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("server_side"):
            contexts.append(self)
        return wrap(self, sock, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", spy)
    other_ca = make_certificates(tmp_path / "other", ["127.0.0.1"]).ca_file
    with start_lab(scenario(), tls=True).running() as lab:
        nodes = lab_cluster(lab, **FAST).nodes
        creds = resolver().resolve(nodes[0].credentials, auth="basic", where="lab")
        assert all(collect_node(n, creds).reachable for n in nodes)
        shared = contexts[0]
        assert len(contexts) == len(nodes) and all(c is shared for c in contexts)
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname

        def collect_with(cert_validation: str | bool) -> Any:
            node = replace(nodes[0], transport=replace(nodes[0].transport, cert_validation=cert_validation))
            return collect_node(node, creds)

        refused = collect_with(str(other_ca))
        assert refused.error["section"] == "connection" and "certificate verify failed" in refused.error["message"]
        assert contexts[-1] is not shared
        bundle = tmp_path / "bundle.pem"  # one path whose content changes: the context follows the file
        bundle.write_bytes(other_ca.read_bytes())
        assert not collect_with(str(bundle)).reachable
        bundle.write_bytes(Path(str(nodes[0].transport.cert_validation)).read_bytes() + b"\n")
        assert collect_with(str(bundle)).reachable
        assert collect_with(False).reachable and contexts[-1].verify_mode == ssl.CERT_NONE
        assert contexts[-1] is not shared and shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname


OUTPUT = {"collector_version": "1", "node": {"name": "N1", "drivers": [{"size": 2**70, "ratio": 0.1, "ok": True,
                                                                          "name": "ünïcödé \ud800", "gone": None}]}}


def _rich(node: Any, credentials: Any) -> NodeResult:
    if node == 1:  # a value marshal cannot write still arrives (pickled)
        return NodeResult("odd", {"name": "odd", "when": frozenset_of_objects()}, 2, 5)
    return NodeResult("N1", OUTPUT, 3, 1234)


class Token:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token)

    def __hash__(self) -> int:
        return 1


def frozenset_of_objects() -> frozenset[Token]:
    return frozenset({Token()})


def test_results_cross_the_pipe_unchanged() -> None:
    """Outputs travel as marshal bytes; the result the caller gets equals the worker's."""
    with ProcessPool([(0, 0), (1, 1)], _rich, {0: None, 1: None}, parallel=2, processes=1) as pool:  # type: ignore[list-item]
        out = pool.results(lambda key: None, lambda key, result: None, threading.Event())
        got = dict(out.get(timeout=30) for _ in range(2))
    assert got[0] == NodeResult("N1", OUTPUT, 3, 1234)
    assert got[1] == NodeResult("odd", {"name": "odd", "when": frozenset_of_objects()}, 2, 5)



def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("doc", [
    {"ok": 1}, "x" * 32_768, "x" * 32_769, {"long": ["é" * 32_769]},
    {"many": list(range(100_000))}, {"many": list(range(100_001))}, {str(i): i for i in range(100_001)},
    _nested(63), _nested(64), _nested(65), [{"a": _nested(61)}], [{"a": _nested(62)}], [{"a": _nested(63)}],
], ids=lambda doc: type(doc).__name__)
def test_the_native_bounds_agree_with_the_python_walk(monkeypatch: pytest.MonkeyPatch, doc: Any) -> None:
    """The size bounds as schema keywords accept exactly what size_problems accepts (a schema that
    accepts anything, so only the bounds decide)."""
    from scanner import schemas

    real = schemas.schema
    monkeypatch.setattr(schemas, "schema", lambda name: {} if name == "any.json" else real(name))
    bounds = {"max_string": 32_768, "max_items": 100_000}
    assert schemas.within_bounds_and_valid(doc, "any.json", **bounds) is (not schemas.size_problems(doc, **bounds))


@pytest.mark.parametrize("change", ["none", "long description", "too long", "wrong type"])
def test_a_node_output_is_recognised_valid_in_one_pass_exactly_when_it_is(change: str) -> None:
    import factory

    from scanner.facts.document import MAX_FACT_ITEMS, MAX_FACT_STRING
    from scanner.schemas import is_valid, size_problems, within_bounds_and_valid

    node = factory.node("NODE1")
    doc = {"collector_version": "1", "node": node, "cluster": None}
    hotfix = {"id": "KB1", "description": "Update", "installed_on": "2026-10-01"}
    node["hotfixes"] = [hotfix]
    if change == "long description":
        hotfix["description"] = "d" * MAX_FACT_STRING
    elif change == "too long":
        hotfix["description"] = "d" * (MAX_FACT_STRING + 1)
    elif change == "wrong type":
        hotfix["id"] = 7
    bounds = {"max_string": MAX_FACT_STRING, "max_items": MAX_FACT_ITEMS}
    expected = not size_problems(doc, **bounds) and is_valid(doc, "facts.schema.json", ref="collector_output")
    assert expected is (change in ("none", "long description"))
    assert within_bounds_and_valid(doc, "facts.schema.json", ref="collector_output", **bounds) is expected


def test_forked_workers_inherit_the_tls_context_instead_of_loading_the_bundle(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A scan with worker processes loads each CA bundle once, in the scanning process, before it
    forks (prepare); the workers verify through the inherited context."""
    import os

    from scanner.collect import transport
    from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster

    loads = tmp_path / "loads"
    load = ssl.SSLContext.load_verify_locations

    def spy(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        with loads.open("a") as out:  # the workers are other processes: they report through a file
            out.write(f"{os.getpid()}\n")
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", spy)
    monkeypatch.setattr(transport, "TLS_CONTEXTS", {})
    with start_lab(scenario(), tls=True).running() as lab:
        cluster = lab_cluster(lab, **FAST)
        result = scan_cluster(cluster, ScanMeta(method="lab"), CollectOptions(resolver=resolver(), processes=2))
    assert all(r.reachable for r in result.results)
    assert loads.read_text().split() == [str(os.getpid())]


def test_the_shared_tls_context_refuses_a_certificate_for_another_host(tmp_path: Path) -> None:
    """A certificate from the trusted CA, but for other names than the one connected to (here
    127.0.0.1, while the certificate names localhost and node9.example), is refused through the
    shared context: one context per bundle must not mean a chain check without the host name."""
    import socket

    import requests

    certs = make_certificates(tmp_path, ["node9.example"])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    handshakes: list[str] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with certs.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    handshakes.append("completed")
            except (ssl.SSLError, OSError) as exc:
                handshakes.append(type(exc).__name__)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        wsman = NodeWSMan("127.0.0.1", port=port, ssl=True, auth="basic", username="u", password="p",
                          cert_validation=str(certs.ca_file), encryption="never", connection_timeout=5,
                          read_timeout=5)
        transport = wsman.transport
        transport.session = transport._build_session()
        assert type(transport.session.adapters["https://"]).__name__ == "_SharedTLSAdapter"
        with pytest.raises(requests.exceptions.SSLError, match="match|mismatch"):
            transport.send(b"<x/>")
    finally:
        listener.close()
        server.join(timeout=5)
    assert "completed" not in handshakes
