"""A WinRM peer for benchmarks that replays recorded lab exchanges with almost no CPU of its own.

The lab (scanner/lab) is a full WS-Man + PSRP server: it spends 10-20 ms of CPU per node, about as
much as the scanner, so on a 2-CPU machine a collection benchmark against it measures the lab as much
as the scanner. This peer first scans every node of the lab once (recording each HTTP exchange the
scanner's own pypsrp path makes), stops the lab, and then answers every request with the recorded
bytes: one event loop, no XML, no PSRP. The only work per request is finding the request's
MessageID (pypsrp checks that RelatesTo echoes it) and splicing it into the prepared reply.

Requests are told apart by their WS-Man action and, for a Receive, by whether it names a command
(the pipeline's output) or not (the pool's state). A pipeline whose output spans several Receives is
replayed in order, counted per connection. Basic auth only (the Authorization header is not checked:
the recording was made with it); TLS with a throwaway CA when asked, trusted through a bundle the size of a
real trust store (trust_store).
"""
from __future__ import annotations

import asyncio
import re
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.lab import Lab, Scenario
from scanner.lab.tls import make_certificates

_MESSAGE_ID = re.compile(rb"MessageID>(uuid:[0-9A-Fa-f-]{36})<")
_ACTION = re.compile(rb"Action[^>]*>[^<]*/([A-Za-z]+)<")
_HEAD_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")
_ID_LEN = len("uuid:00000000-0000-0000-0000-000000000000")


@dataclass
class Reply:
    """A prepared HTTP response split around the RelatesTo value (a fixed-length uuid:...)."""

    head: bytes
    tail: bytes

    def to(self, message_id: bytes) -> bytes:
        return self.head + message_id + self.tail


@dataclass
class NodeReplies:
    """What one node answers, by request kind; pipeline Receives in the order they came."""

    single: dict[str, Reply] = field(default_factory=dict)  # Create, Command, Delete, Signal, pool Receive
    outputs: list[Reply] = field(default_factory=list)


def kind_of(request: bytes) -> str:
    match = _ACTION.search(request)
    action = match.group(1).decode() if match else "?"
    if action == "Receive":
        return "ReceiveOutput" if b"CommandId=" in request else "ReceivePool"
    return action


def prepare(request: bytes, response: bytes) -> Reply:
    """The recorded response as bytes on the wire, cut where this request's MessageID was echoed."""
    match = _MESSAGE_ID.search(request)
    assert match is not None, "a WS-Man request without MessageID"
    at = response.index(match.group(1))
    body_head, body_tail = response[:at], response[at + _ID_LEN:]
    headers = (b"HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
               b"Server: Microsoft-HTTPAPI/2.0\r\nContent-Length: %d\r\n\r\n" % len(response))
    return Reply(headers + body_head, body_tail)


def record(lab: Lab, collect: Callable[[dict[str, Any]], None]) -> dict[str, NodeReplies]:
    """Scan every lab node once through pypsrp (collect(inventory) runs the scan) and keep each reply."""
    from pypsrp.wsman import _TransportHTTP

    replies: dict[str, NodeReplies] = {}
    by_port = {e.port: e.name for e in lab.endpoints}
    original = _TransportHTTP._send_request

    def send(self: _TransportHTTP, request: Any, **kwargs: Any) -> bytes:
        response = original(self, request, **kwargs)
        message = request.body
        node = replies.setdefault(by_port[self.port], NodeReplies())
        kind = kind_of(message)
        if kind == "ReceiveOutput":
            node.outputs.append(prepare(message, response))
        else:
            node.single[kind] = prepare(message, response)
        return response

    _TransportHTTP._send_request = send  # type: ignore[method-assign]
    try:
        collect(lab.inventory())
    finally:
        _TransportHTTP._send_request = original  # type: ignore[method-assign]
    return replies


def trust_store(ca_file: Path) -> Path:
    """A CA bundle the size of a real scanner's trust store: requests' default bundle (the public
    CAs) with the lab CA appended, as an administrator adds the enterprise CA that signs the nodes'
    WinRM certificates. Loading a one-CA file costs a fraction of loading a real store, and the
    scanner loads its store for every TLS connection unless it keeps one context."""
    from requests.utils import DEFAULT_CA_BUNDLE_PATH

    bundle = ca_file.with_name("trust-store.pem")
    bundle.write_bytes(Path(DEFAULT_CA_BUNDLE_PATH).read_bytes() + b"\n" + ca_file.read_bytes())
    return bundle


class _Connection(asyncio.Protocol):
    def __init__(self, node: NodeReplies, delay: float, stats: dict[str, int]) -> None:
        self.node = node
        self.delay = delay
        self.stats = stats
        self.buffer = b""
        self.outputs = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(_HEAD_END)) >= 0:
            length = _LENGTH.search(self.buffer, 0, end + 2)
            size = end + 4 + (int(length.group(1)) if length else 0)
            if len(self.buffer) < size:
                return
            request, self.buffer = self.buffer[end + 4:size], self.buffer[size:]
            self.answer(request)

    def answer(self, request: bytes) -> None:
        kind = kind_of(request)
        if kind == "ReceiveOutput":
            reply = self.node.outputs[min(self.outputs, len(self.node.outputs) - 1)]
            self.outputs += 1
        else:
            reply = self.node.single[kind]
        match = _MESSAGE_ID.search(request)
        wire = reply.to(match.group(1) if match else b"uuid:" + b"0" * 36)
        self.stats["exchanges"] += 1
        loop = asyncio.get_running_loop()
        assert self.transport is not None
        if self.delay:
            loop.call_later(self.delay, self._write, wire)
        else:
            self._write(wire)

    def _write(self, wire: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(wire)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


@dataclass
class Peer:
    """The replay servers of one recording: start() them in a running loop, then read endpoints."""

    replies: dict[str, NodeReplies]
    latency_ms: int
    tls: bool
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    ca_file: str | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    async def start(self) -> None:
        context: ssl.SSLContext | None = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="rollready-replay-")
            certs = make_certificates(Path(self._tmp.name), [self.host])
            context, self.ca_file = certs.context, str(trust_store(certs.ca_file))
        loop = asyncio.get_running_loop()
        for name, node in self.replies.items():
            stats = self.stats.setdefault(name, {"exchanges": 0})

            def factory(node: NodeReplies = node, stats: dict[str, int] = stats) -> _Connection:
                return _Connection(node, self.latency_ms / 1000, stats)

            server = await loop.create_server(factory, self.host, 0, ssl=context)
            self.ports[name] = server.sockets[0].getsockname()[1]

    def inventory(self, scenario: Scenario, username: str, password_env: str) -> dict[str, Any]:
        """An inventory that scans the replay (same shape as Lab.inventory)."""
        return {"clusters": [{
            "name": scenario.cluster["name"],
            "transport": {"scheme": "https" if self.tls else "http", "auth": "basic",
                          "cert_validation": self.ca_file if self.tls else True,
                          "encryption": "auto" if self.tls else "never"},
            "credentials": {"username": username, "password_env": password_env},
            "nodes": [{"name": n, "host": self.host, "port": p} for n, p in self.ports.items()],
        }]}
