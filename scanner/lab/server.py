"""The HTTP(S) endpoint of one lab node: keep-alive HTTP/1.1, auth, message encryption, transport faults.

One thread per connection (NTLM contexts are connection-bound). TCP_NODELAY is set on every socket:
without it each request/response pair waits ~40 ms for a delayed ACK. stop() shuts every open
connection down and joins every thread, so a test leaks neither sockets nor threads.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any

from pypsrp.exceptions import WinRMError
from spnego.exceptions import SpnegoError

from scanner.lab import auth, wsman
from scanner.lab.scenario import Faults
from scanner.lab.service import WinRMService
from scanner.lab.stats import NodeStats

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 120
MAX_BODY = 64 * 1024 * 1024


class NodeServer(ThreadingHTTPServer):
    """Serves one node until stop(); knows its service, auth, faults and stats."""

    daemon_threads = False  # joined by server_close()
    block_on_close = True
    allow_reuse_address = True
    RequestHandlerClass: type[_Handler]  # what __init__ passes; typeshed's Self-typed callable does not bind here

    def __init__(
        self,
        host: str,
        port: int,
        service: WinRMService,
        authenticator: auth.Authenticator,
        faults: Faults,
        stats: NodeStats,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.service = service
        self.authenticator = authenticator
        self.faults = faults
        self.stats = stats
        self.tls = tls
        self.stopping = threading.Event()
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        with self._live_lock:
            for sock in self._live:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()  # joins the connection threads
        if self._thread is not None:
            self._thread.join()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request.settimeout(IDLE_TIMEOUT_S)
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake failed: %s", exc)
                return
        with self._live_lock:
            self._live.add(request)
        try:
            if not self.stopping.is_set():
                self.RequestHandlerClass(request, client_address, self)
        finally:
            with self._live_lock:
                self._live.discard(request)
            if self.tls is not None:
                request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("lab connection from %s ended with an error", client_address, exc_info=True)


class _CountingWriter:
    """wfile that counts what it writes (bytes_out)."""

    def __init__(self, raw: BufferedIOBase) -> None:
        self._raw = raw
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        self._raw.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: NodeServer
    raw_requestline: bytes  # set by the base class's handle_one_request; typeshed leaves it out

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile)  # type: ignore[assignment]
        self.conn_auth = auth.ConnectionAuth()
        self.encrypted = False  # whether the current request came sealed (the reply is sealed alike)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        log.debug("%s %s", self.address_string(), format % args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._reply(413, b"")
            return
        body = self.rfile.read(length)
        head = len(self.raw_requestline) + sum(len(k) + len(v) + 4 for k, v in self.headers.items()) + 2
        written = self.wfile.count  # type: ignore[attr-defined]
        # Counted on arrival: a client may be done with its last reply before this handler returns.
        self.server.stats.request(head + len(body))
        try:
            self._serve(body)
        finally:
            self.server.stats.sent(self.wfile.count - written)  # type: ignore[attr-defined]

    def _serve(self, body: bytes) -> None:
        srv = self.server
        faults = srv.faults
        if faults.latency_ms and srv.stopping.wait(faults.latency_ms / 1000):
            self.close_connection = True
            return
        if faults.auth_fail:
            self._reply(401, b"", {"WWW-Authenticate": self._challenge()})
            return
        verdict = srv.authenticator.check(self.headers.get("Authorization"), self.conn_auth)
        if not verdict.ok:
            self._reply(401, b"", {"WWW-Authenticate": verdict.challenge or self._challenge()})
            return
        extra = {"WWW-Authenticate": verdict.final_token} if verdict.final_token else {}
        if not body:  # the empty POST that sets up an encryption context
            self._reply(200, b"", extra)
            return
        content_type = self.headers.get("Content-Type", "")
        self.encrypted = auth.is_encrypted(content_type)
        try:
            plain = auth.unwrap(self.conn_auth, body, content_type)
            req = wsman.parse_request(plain)
        except (WinRMError, SpnegoError, wsman.MalformedRequest, ValueError, IndexError) as exc:
            log.debug("bad request: %s", exc)
            self._reply(400, b"")
            return
        pipeline_receive = wsman.receive_command_id(req) is not None
        # Held before the data is taken, so each retry of the Receive is held again and loses nothing.
        if pipeline_receive and faults.slow_ms and srv.stopping.wait(faults.slow_ms / 1000):
            self.close_connection = True
            return
        if pipeline_receive and faults.never_answer:
            # A provider that never answers: held as WinRM holds it, then "no output yet", for ever.
            if srv.stopping.wait(req.operation_timeout):
                self.close_connection = True
                return
            fault_type, fault = auth.wrap(self.conn_auth, wsman.operation_timeout(req, srv.service.machine), self.encrypted)
            self._reply(500, fault, {"Content-Type": fault_type, **extra})
            return
        outcome = srv.service.handle(req)
        payload = outcome.body
        if pipeline_receive and outcome.status == 200:
            if faults.drop_mid_receive:
                self._drop(payload)
                return
            if faults.trickle_ms or faults.stall_mid_receive:
                self._dribble(payload)
                return
            if faults.malformed == "xml":
                payload = payload[: len(payload) // 2]
        reply_type, wire = auth.wrap(self.conn_auth, payload, self.encrypted)
        self._reply(outcome.status, wire, {"Content-Type": reply_type, **extra})

    def _challenge(self) -> str:
        return 'Basic realm="WSMAN"' if self.server.authenticator.method == auth.BASIC else "Negotiate"

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _dribble(self, payload: bytes) -> None:
        """trickle_ms: the whole response, one byte every N ms; stall_mid_receive: half of it, then
        silence on an open connection. Either way until the client gives up or the lab stops."""
        srv = self.server
        content_type, wire = auth.wrap(self.conn_auth, payload, self.encrypted)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(wire)))
        self.end_headers()
        self.close_connection = True
        try:
            if srv.faults.stall_mid_receive:
                self.wfile.write(wire[: len(wire) // 2])
                self.wfile.flush()
                srv.stopping.wait()
                return
            for i in range(len(wire)):
                self.wfile.write(wire[i:i + 1])
                self.wfile.flush()
                if srv.stopping.wait(srv.faults.trickle_ms / 1000):
                    return
        except OSError:
            return  # the client hung up: what a deadline does

    def _drop(self, payload: bytes) -> None:
        """Promise the whole response, send half, and close: a connection lost mid-Receive."""
        content_type, wire = auth.wrap(self.conn_auth, payload, self.encrypted)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(wire)))
        self.end_headers()
        self.wfile.write(wire[: len(wire) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
