"""The HTTP layer under pypsrp for many nodes: pypsrp's WSMan and transport with the work they repeat
per exchange done once (the request template, the envelope room, the proxy lookup, the connection
pool lookup), requests' send without the steps only hooks, cookies and redirects need, and one
verifying SSL context per CA bundle and process. The protocol stays pypsrp's;
scanner/collect/protocol.py holds the PSRP message layer and scanner/collect/winrm.py the per-node
API above both."""
from __future__ import annotations

import datetime
import os
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import requests
import requests.adapters
from pypsrp.wsman import NAMESPACES, WSMan, WSManAction, _TransportHTTP
from requests.cookies import extract_cookies_to_jar
from requests.utils import DEFAULT_CA_BUNDLE_PATH, resolve_proxies
from urllib3.util.ssl_ import create_urllib3_context

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs


class NodeWSMan(WSMan):
    """pypsrp's WSMan with rollready's transport (_Transport), the envelope size computed once per
    process, and no re-sent Receive on a read timeout.

    pypsrp re-sends a Receive up to 5 times on a read timeout, with 2 + 6 + 14 + 30 + 62 s of
    backoff: a node that does not answer within the read timeout (already longer than the WS-Man
    OperationTimeout) is reported as a timeout instead of being waited for six times."""

    def __init__(self, server: str, **options: Any) -> None:
        super().__init__(server, **options)
        # WSMan builds pypsrp's _TransportHTTP itself; _Transport only overrides methods (no state
        # of its own beyond a lazily built attribute), so the instance takes the subclass.
        self.transport.__class__ = _Transport

    def receive(self, resource_uri: str, resource: ET.Element, option_set: Any = None,
                selector_set: Any = None, timeout: int | None = None) -> ET.Element:
        res = self.invoke(WSManAction.RECEIVE, resource_uri, resource, option_set, selector_set, timeout,
                          retries_on_read_timeout=0)
        # A WS-Man reply always has a Body; pypsrp's own receive() makes the same assumption.
        return res.find("s:Body", namespaces=NAMESPACES)  # type: ignore[return-value]

    def _calc_envelope_size(self, max_envelope_size: int) -> int:
        """pypsrp's room for a fragment: max_envelope_size less the length of a sample Send envelope,
        which pypsrp builds and serialises twice per node (0.2 ms). That length depends only on the
        values in the key (the message and session ids have a fixed length), so it is computed once
        per process for each key."""
        endpoint = len(escape(self.transport.endpoint).encode("utf-8"))
        key = (max_envelope_size, str(self.max_envelope_size), self.locale, self.data_locale,
               str(self.operation_timeout), endpoint)
        size = _ENVELOPE_ROOM.get(key)
        if size is None:
            size = _ENVELOPE_ROOM[key] = super()._calc_envelope_size(max_envelope_size)
        return size


_ENVELOPE_ROOM: dict[tuple[Any, ...], int] = {}  # NodeWSMan._calc_envelope_size, shared by the threads


class _Transport(_TransportHTTP):
    """pypsrp's HTTP transport, preparing each exchange's request from a template.

    For every exchange pypsrp copies the session headers and has requests prepare a new request
    (URL parsing, header and cookie merging, the Basic auth header: ~0.15 ms each, five times per
    node). With Basic or certificate auth and no message encryption everything but the body is the
    same for all of a node's exchanges, so the request is prepared once and copied with the new body.
    Any other case (Negotiate/NTLM/Kerberos/CredSSP, whose auth objects act per request; message
    encryption; a retried Receive; cookies set by the server) goes through pypsrp's own send.
    """

    _template: requests.PreparedRequest | None = None

    def send(self, message: bytes, *, retries_on_read_timeout: int = 0,
             timeout: int | float | tuple[int | float, int | float] | None = None) -> bytes:
        if self.session is None:
            self.session = self._build_session()
        session = self.session
        if (self.wrap_required or retries_on_read_timeout or session.cookies
                or not (session.auth is None or type(session.auth) is requests.auth.HTTPBasicAuth)):
            return super().send(message, retries_on_read_timeout=retries_on_read_timeout, timeout=timeout)
        if self._template is None:
            headers = session.headers.copy()  # type: ignore[attr-defined]  # a CaseInsensitiveDict
            headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
            self._template = session.prepare_request(requests.Request("POST", self.endpoint, data=b"-",
                                                                      headers=headers))
        request = self._template.copy()
        request.body = message
        request.headers["Content-Length"] = str(len(message))
        return self._send_request(request, timeout=timeout)

    def _build_session(self) -> requests.Session:
        session = super()._build_session()
        session.__class__ = _NodeSession  # methods only, no state of its own
        for prefix, adapter in session.adapters.items():
            if type(adapter) is requests.adapters.HTTPAdapter:  # not the adapter of a key password
                adapter.__class__ = _SharedTLSAdapter if prefix == "https://" else _NodeAdapter
        return session


class _NodeSession(requests.Session):
    """requests' Session, sending an exchange without response hooks in fewer steps.

    For every exchange Session.send also runs what only matters when a hook, a cookie or a redirect
    is there: it dispatches the response hooks, hands the reply to cookielib through mock request and
    response objects, and looks for a redirect twice (0.1 ms per exchange, five per node). A request
    without response hooks (Basic and certificate auth register none; the Negotiate family does,
    and keeps requests' own send) goes through the same adapter with the same arguments; cookielib
    is asked only when the reply sets a cookie (Set-Cookie or Set-Cookie2, the only headers it
    reads), a redirect is followed by requests' own resolve_redirects, and the body is read by
    requests as before.
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.hooks.get("response") or set(kwargs) - {"timeout"}:
            return super().send(request, **kwargs)
        settings: dict[str, Any] = {"timeout": kwargs.get("timeout"), "stream": self.stream, "verify": self.verify,
                                    "cert": self.cert, "proxies": resolve_proxies(request, self.proxies, self.trust_env)}  # type: ignore[arg-type]
        started = time.perf_counter()
        response = self.get_adapter(url=request.url or "").send(request, **settings)
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            extract_cookies_to_jar(self.cookies, request, response.raw)
        if response.is_redirect:
            history = [response, *self.resolve_redirects(response, request, **settings)]
            response = history.pop()
            response.history = history
        if not self.stream:
            response.content  # noqa: B018  (read now, as requests' send does)
        return response


class _NodeAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter in one node's session, keeping the connection pool it finds per key.

    For every exchange the adapter rebuilds the pool key from the URL, the TLS settings and the
    proxies and looks it up in urllib3's PoolManager (0.06 ms, five times per node); a node's
    exchanges all go to one endpoint with the same settings, so the pool found is kept for that key
    (its only state, made on first use) until the adapter is closed."""

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str | None,
                                        proxies: Mapping[str, str] | None = None,
                                        cert: str | tuple[str, str] | None = None) -> Any:
        key = (request.url, verify, cert, tuple(sorted((proxies or {}).items())))
        pools: dict[tuple[Any, ...], Any] = vars(self).setdefault("_rollready_pools", {})
        pool = pools.get(key)
        if pool is None:
            pool = pools[key] = super().get_connection_with_tls_context(request, verify, proxies, cert)
        return pool

    def close(self) -> None:
        vars(self).pop("_rollready_pools", None)
        super().close()


class _SharedTLSAdapter(_NodeAdapter):
    """The HTTPS adapter pypsrp mounts, verifying with one SSL context per CA bundle and process.

    requests hands urllib3 the path of the CA bundle, and urllib3 builds a new SSL context for each
    connection and loads the bundle into it: with requests' default bundle (certifi's ~150 CAs) that
    is ~29 ms of CPU per node, with a one-CA file ~0.5 ms. Here the bundle requests resolved (the
    inventory's cert_validation path, REQUESTS_CA_BUNDLE, or requests' default) is loaded once into a
    context built by urllib3's own create_urllib3_context(CERT_REQUIRED), so the checks are the ones
    urllib3 would make: chain to the bundle, host name, TLS 1.2 or newer. verify=False and client
    certificates (certificate auth) keep requests' own path.
    """

    def build_connection_pool_key_attributes(
            self, request: requests.PreparedRequest, verify: bool | str, cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        context = tls_context(verify) if cert is None and host_params["scheme"] == "https" else None
        if context is not None:
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
            pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if conn.conn_kw.get("ssl_context") is not None:  # the bundle is in the shared context already
            conn.ca_certs = conn.ca_cert_dir = None


TLS_CONTEXTS: dict[tuple[str, int, int], ssl.SSLContext] = {}
_TLS_LOCK = threading.Lock()


def tls_context(verify: bool | str) -> ssl.SSLContext | None:
    """The verifying context for this bundle (a file or a directory of CAs), shared by every node of
    the process; a new one when the bundle changed on disk. None for verify=False."""
    if verify is False:
        return None
    bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    try:
        stat = os.stat(bundle)
    except OSError:
        return None  # requests' cert_verify names the missing bundle
    key = (bundle, stat.st_mtime_ns, stat.st_size)
    with _TLS_LOCK:
        context = TLS_CONTEXTS.get(key)
        if context is None:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            if os.path.isdir(bundle):
                context.load_verify_locations(capath=bundle)
            else:
                context.load_verify_locations(cafile=bundle)
            TLS_CONTEXTS[key] = context
    return context


def keep_resolved_proxies(wsman: WSMan) -> None:
    """Stop requests re-reading the proxy environment on each of the node's exchanges.

    With `trust_env` requests resolves the proxy settings from os.environ again on every request:
    0.13 ms of CPU per exchange under the GIL (more with a large environment). pypsrp resolved them
    for this node's endpoint when it built the session (before the first exchange) and keeps them in
    `session.proxies`; every exchange goes to that same endpoint, so the answer cannot change. `trust_env` also governs a
    ~/.netrc lookup, made only for a session without auth (certificate: left as it is), and the
    proxies of a redirect, which WinRM does not send.
    """
    session = wsman.transport.session
    if session is not None and session.auth is not None:
        session.trust_env = False
