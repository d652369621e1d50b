"""scanner/collect/transport._NodeSession sends what requests' own Session.send sends and gives back
what it gives back: the reply, the cookies a reply sets, a redirect followed, the hooks' path."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from urllib3 import PoolManager

from scanner.collect.transport import NodeWSMan, _NodeAdapter, _NodeSession


class _Handler(BaseHTTPRequestHandler):
    """/plain: an envelope; /cookie: sets a cookie; /moved: 307 to /plain; /echo-cookie: the Cookie header."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers: list[tuple[str, str]] = []
        reply = b"<s:Envelope>" + body + b"</s:Envelope>"
        status = 200
        if self.path == "/cookie":
            headers.append(("Set-Cookie", "lb=node-a; Path=/"))
        elif self.path == "/moved":
            status = 307
            headers.append(("Location", "/plain"))
            reply = b""
        elif self.path == "/echo-cookie":
            reply = (self.headers.get("Cookie") or "").encode()
        self.send_response(status)
        for name, value in [("Content-Type", "application/soap+xml;charset=UTF-8"), *headers]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sessions() -> tuple[requests.Session, requests.Session]:
    """A node's session as rollready builds it, and the same session kept on requests' own class."""
    wsman = NodeWSMan("127.0.0.1", port=5985, auth="basic", username="u", password="p", encryption="never")
    ours = wsman.transport._build_session()
    theirs = wsman.transport._build_session()
    theirs.__class__ = requests.Session
    assert type(ours) is _NodeSession
    return ours, theirs


def _post(session: requests.Session, url: str, body: bytes = b"<x/>") -> requests.Response:
    return session.send(session.prepare_request(requests.Request("POST", url, data=body)), timeout=(5, 5))


def _seen(response: requests.Response) -> tuple[Any, ...]:
    return (response.status_code, response.url, response.content, dict(response.headers),
            [r.status_code for r in response.history], response.reason)


@pytest.mark.parametrize("path", ["/plain", "/cookie", "/moved"])
def test_the_reply_is_the_one_requests_gives(server: str, path: str) -> None:
    ours, theirs = _sessions()
    a, b = _post(ours, server + path), _post(theirs, server + path)
    assert _seen(a) == _seen(b)
    assert sorted(ours.cookies.items()) == sorted(theirs.cookies.items())


def test_a_cookie_a_reply_sets_is_sent_with_the_next_exchange(server: str) -> None:
    ours, _ = _sessions()
    _post(ours, server + "/cookie")
    assert ours.cookies.get("lb") == "node-a"
    assert _post(ours, server + "/echo-cookie").content == b"lb=node-a"


def test_a_redirect_is_followed_as_requests_follows_it(server: str) -> None:
    ours, _ = _sessions()
    response = _post(ours, server + "/moved", b"<moved/>")
    assert response.url == server + "/plain" and [r.status_code for r in response.history] == [307]
    assert response.content == b"<s:Envelope><moved/></s:Envelope>"  # a 307 keeps the method and body


def test_a_request_with_response_hooks_goes_through_requests_own_send(server: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The Negotiate family (NTLM, Kerberos) and CredSSP answer a 401 in a response hook."""
    calls: list[str] = []
    original = requests.Session.send

    def spy(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        calls.append(request.url or "")
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    ours, _ = _sessions()
    hooked: list[int] = []
    request = ours.prepare_request(requests.Request("POST", server + "/plain", data=b"<x/>",
                                                    hooks={"response": [lambda r, **_: hooked.append(r.status_code)]}))
    assert ours.send(request, timeout=(5, 5)).status_code == 200
    assert hooked == [200] and calls == [server + "/plain"]
    _post(ours, server + "/plain")
    assert calls == [server + "/plain"]  # without hooks: not requests' own send


def test_the_adapter_finds_the_nodes_connection_pool_once_per_key(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    original = PoolManager.connection_from_host

    def spy(self: PoolManager, host: str | None, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        return original(self, host, *args, **kwargs)

    monkeypatch.setattr(PoolManager, "connection_from_host", spy)
    ours, _ = _sessions()
    assert type(ours.get_adapter(server)) is _NodeAdapter
    bodies = [_post(ours, server + "/plain", f"<n{i}/>".encode()).content for i in range(3)]
    assert bodies == [f"<s:Envelope><n{i}/></s:Envelope>".encode() for i in range(3)]
    assert looked_up == ["127.0.0.1"]
    _post(ours, server + "/echo-cookie")  # another URL: another key
    assert looked_up == ["127.0.0.1"] * 2
    ours.close()  # a closed adapter forgets its pools; a new exchange finds a new one
    _post(ours, server + "/plain")
    assert looked_up == ["127.0.0.1"] * 3
