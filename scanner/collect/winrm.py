"""pypsrp transport: run collector.ps1 on one node in one runspace pool and one pipeline.

`collect_node(target, credentials)` never raises for a node problem: it returns the node's collector
output, or an unreachable-node document whose single error says what went wrong (section
connection | auth | timeout | protocol, one line, no credentials). Only transient failures
(refused or reset connections, connect timeouts, HTTP 5xx without a WS-Man fault) are retried,
with exponential backoff; a 401 or a read timeout is never retried.

The script is package data sent unchanged; its one parameter goes through PSRP `add_parameter`.
`Client.execute_ps` is not used: it wraps scripts in Invoke-Expression | Out-String and opens a new
pool per call.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import re
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from xml.sax.saxutils import escape

import requests
import requests.adapters
from pypsrp.complex_objects import Command, PSInvocationState
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
from pypsrp.messages import CreatePipeline, InitRunspacePool, SessionCapability
from pypsrp.powershell import PowerShell as PypsrpPowerShell
from pypsrp.powershell import RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.wsman import NAMESPACES, WSMan, WSManAction, _TransportHTTP
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.ssl_ import create_urllib3_context

from scanner.collect import COLLECTOR_VERSION, collector_script
from scanner.collect.deadline import NodeDeadline
from scanner.credentials import Credentials
from scanner.facts.document import MAX_FACT_ITEMS, MAX_FACT_STRING
from scanner.facts.outputs import node_output_problems
from scanner.inventory import NodeTarget, Transport
from scanner.schemas import within_bounds_and_valid

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs

log = logging.getLogger(__name__)
# pypsrp logs read timeouts with log.exception; without a handler Python's last-resort handler
# would print those tracebacks on stderr. rollready reports the error once, as a node error.
logging.getLogger("pypsrp").addHandler(logging.NullHandler())

SECTIONS = ("connection", "auth", "timeout", "protocol")
MAX_MESSAGE = 500


class NodeFailure(Exception):
    """Why one node could not give its collector output."""

    def __init__(self, section: str, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.section = section
        self.message = message
        self.transient = transient


@dataclass(frozen=True)
class NodeResult:
    name: str
    output: dict[str, Any]  # a collector_output, or {"name", "reachable": False, "errors": [...]}
    attempts: int
    duration_ms: int

    @property
    def reachable(self) -> bool:
        """An output of the script ran (collector or watch); an unreachable-node document says reachable: false."""
        return self.output.get("reachable") is not False

    @property
    def error(self) -> dict[str, Any] | None:
        return None if self.reachable else self.output["errors"][0]


AUTH_MODULES = {  # auth method -> (modules it needs, how to get them)
    "credssp": (("requests_credssp",), "pip install requests-credssp (pypsrp[credssp])"),
    "kerberos": (("gssapi", "krb5"), "pip install 'rollready[kerberos]' (needs libkrb5-dev) and a krb5.conf"),
}


def auth_support_problem(auth: str) -> str | None:
    """Why this installation cannot do `auth`, or None. Checked before any node is contacted."""
    needed = AUTH_MODULES.get(auth)
    if needed is None:
        return None
    missing = [m for m in needed[0] if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return f"auth {auth} needs the Python module(s) {', '.join(missing)}: {needed[1]}"


def unreachable(name: str, section: str, message: str) -> dict[str, Any]:
    return {"name": name, "reachable": False, "errors": [{"section": section, "message": message}]}


Parse = Callable[[list[Any], list[str], bool], dict[str, Any]]


def collect_node(
    target: NodeTarget,
    credentials: Credentials,
    *,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    script: str | None = None,
    parse: Parse | None = None,
) -> NodeResult:
    """Collect one node, retrying transient failures up to target.transport.retries times, all
    within the node's wall-clock deadline (transport.node_timeout, retries and backoff included).

    script/parse run another packaged script (rollready watch's light one) the same way; by default
    the collector with its WmiTimeoutSec parameter and parse_output."""
    started = time.monotonic()
    attempt = 0
    with NodeDeadline(target.transport.node_timeout) as deadline:
        while True:
            attempt += 1
            try:
                output = _run_collector(target, credentials, deadline, script, parse or parse_output)
            except NodeFailure as failure:
                delay = backoff * 2 ** (attempt - 1)
                if (failure.transient and attempt <= target.transport.retries
                        and time.monotonic() + delay < started + target.transport.node_timeout):
                    log.info("node %s: %s; retry %d in %.1f s", target.name, failure.message, attempt, delay)
                    sleep(delay)
                    continue
                message = _clean(failure.message, credentials)
                if attempt > 1:
                    message = f"{message} (after {attempt} attempts)"
                output = unreachable(target.name, failure.section, message)
            return NodeResult(target.name, output, attempt, int((time.monotonic() - started) * 1000))


def prepare(targets: Iterable[NodeTarget]) -> None:
    """Build, in this process, what every node's collection reuses: the collector's CLIXML string,
    the compiled validator of a node's output and the SSL context of each CA bundle the targets
    trust. A scan calls it before it forks its worker processes (scanner/collect/procpool.py),
    which then inherit these instead of each building its own (with TLS and requests' default
    bundle, 29 ms per worker and scan)."""
    _clixml_string(collector_script())
    within_bounds_and_valid(None, "facts.schema.json", ref="collector_output", max_string=MAX_FACT_STRING,
                            max_items=MAX_FACT_ITEMS)
    for bundle in {t.transport.cert_validation for t in targets
                   if t.transport.scheme == "https" and t.transport.auth != "certificate"}:
        _tls_context(bundle)


class _WSMan(WSMan):
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


_ENVELOPE_ROOM: dict[tuple[Any, ...], int] = {}  # _WSMan._calc_envelope_size, shared by the threads


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
        adapter = session.adapters.get("https://")
        if type(adapter) is requests.adapters.HTTPAdapter:  # not the adapter of a key password
            adapter.__class__ = _SharedTLSAdapter  # methods only, no state of its own
        return session


class _SharedTLSAdapter(requests.adapters.HTTPAdapter):
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
        context = _tls_context(verify) if cert is None and host_params["scheme"] == "https" else None
        if context is not None:
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
            pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if conn.conn_kw.get("ssl_context") is not None:  # the bundle is in the shared context already
            conn.ca_certs = conn.ca_cert_dir = None


_TLS_CONTEXTS: dict[tuple[str, int, int], ssl.SSLContext] = {}
_TLS_LOCK = threading.Lock()


def _tls_context(verify: bool | str) -> ssl.SSLContext | None:
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
        context = _TLS_CONTEXTS.get(key)
        if context is None:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            if os.path.isdir(bundle):
                context.load_verify_locations(capath=bundle)
            else:
                context.load_verify_locations(cafile=bundle)
            _TLS_CONTEXTS[key] = context
    return context


class PowerShell(PypsrpPowerShell):
    """pypsrp's PowerShell, with a script's CLIXML string built once per process, not once per node.

    pypsrp escapes a script for CLIXML with a Python callback per control character: every newline
    of the 33 KB collector, about 1.3 ms of CPU per node, held under the GIL while the other nodes'
    threads wait. Its serializer sends an already serialised element as it is (what add_parameter
    documents for values), so the escaping is done once; the bytes on the wire are the same.
    """

    def add_script(self, script: str, use_local_scope: bool | None = None) -> PowerShell:
        protocol = self.runspace_pool.protocol_version or ""
        # pypsrp annotates cmd as str, but its serializer sends an Element as it is (see the docstring).
        self.commands.append(Command(_clixml_string(script),  # type: ignore[arg-type]
                                     protocol_version=protocol, is_script=True, use_local_scope=use_local_scope))
        return self


@functools.lru_cache(maxsize=4)
def _clixml_string(text: str) -> ET.Element:
    """`<S>text</S>` as pypsrp serialises it. Shared between threads: pypsrp deep-copies a command
    before it serialises it, so the element is only read."""
    element = Serializer().serialize(text)
    assert element is not None
    return element


class _Serializer(Serializer):
    """pypsrp's Serializer, keeping the bytes of the three messages every node is sent alike, and
    reading strings without escapes as they are.

    SessionCapability and InitRunspacePool (the pool's creationXml) and CreatePipeline (the 33 KB
    collector and its parameter) serialise to the same XML for every node of a process: pypsrp
    builds them from constants, the pool's defaults, the script and its parameters, and the protocol
    version the node negotiated; the runspace pool and pipeline ids travel in the fragment header, not
    in this XML. Message.pack sends bytes from the serializer as they are, so the XML is built (and
    the pipeline deep-copied) once per process per key instead of once per node.

    A CLIXML string escapes the characters XML cannot carry as `_xHHHH_`; pypsrp undoes that by
    encoding the whole string to UTF-16, running a regular expression over the bytes and decoding
    them again: 0.4 ms for the collector's 200 KB of JSON, which has no such escape. A string
    without `_x` has nothing to undo and is returned as it is.
    """

    _bytes: ClassVar[dict[tuple[Any, ...], bytes]] = {}
    _CONSTANT = (SessionCapability, InitRunspacePool, CreatePipeline)

    def __init__(self, key: Callable[[], tuple[Any, ...]]) -> None:
        super().__init__()
        self._key = key  # what, beyond pypsrp's constants, the messages are built from

    def serialize(self, value: Any, metadata: Any = None, parent: ET.Element | None = None,
                  clear: bool = True) -> Any:
        if parent is not None or metadata is not None or not isinstance(value, self._CONSTANT):
            return super().serialize(value, metadata, parent, clear)
        key = (type(value).__name__, *self._key())
        data = self._bytes.get(key)
        if data is None:  # two threads may both build it: same bytes, last one kept
            element = super().serialize(value, metadata, parent, clear)
            assert element is not None
            data = self._bytes[key] = ET.tostring(element, encoding="utf-8", method="xml")
        return data

    def _deserialize_string(self, value: str | None) -> str:
        if value is not None and "_x" not in value:
            return value
        return super()._deserialize_string(value)


class _Pool(RunspacePool):
    """A runspace pool for one collector run; its constant messages come from _Serializer.

    Everything the messages depend on besides pypsrp's constants and this pool's defaults is in the
    key: the script, its parameters, and the protocol version the node negotiated (it changes how a
    command is serialised)."""

    def __init__(self, wsman: WSMan, script: str, parameters: tuple[tuple[str, Any], ...]) -> None:
        super().__init__(wsman)
        self._serializer = self._fragmenter.serializer = _Serializer(
            lambda: (script, parameters, self.protocol_version))


def _run_collector(target: NodeTarget, credentials: Credentials, deadline: NodeDeadline, script: str | None,
                   parse: Parse) -> dict[str, Any]:
    t = target.transport
    parameters: tuple[tuple[str, Any], ...] = ()
    if script is None:
        script, parameters = collector_script(), (("WmiTimeoutSec", t.wmi_timeout),)
    try:
        with _WSMan(target.host, **wsman_options(target, credentials)) as wsman:
            # Built now rather than on the first exchange, so that the deadline sees every connection.
            wsman.transport.session = wsman.transport._build_session()
            deadline.watch(wsman.transport.session)
            _keep_resolved_proxies(wsman)
            pool = _Pool(wsman, script, parameters)
            ps = PowerShell(pool)
            try:
                pool.open()
                ps.add_script(script)
                for name, value in parameters:
                    ps.add_parameter(name, value)
                objects = ps.invoke()
                errors = [_record_text(e) for e in ps.streams.error]
                failed = ps.had_errors
            except Exception:
                if deadline.expired:
                    raise NodeFailure("timeout", _deadline_message(deadline, _stop_remote(pool, ps, deadline))) from None
                raise
            finally:
                if not deadline.expired:
                    pool.close()
    except NodeFailure:
        raise
    except Exception as exc:
        if deadline.expired:
            raise NodeFailure("timeout", _deadline_message(deadline, "")) from None
        raise _failure(exc, t) from None
    return parse(objects, errors, failed)


def _failure(exc: Exception, t: Transport) -> NodeFailure:
    """What a pypsrp / requests exception means for the node's report."""
    if isinstance(exc, AuthenticationError):
        return NodeFailure("auth", f"authentication failed (HTTP 401) with {t.auth}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NodeFailure("timeout", f"no connection within {t.connect_timeout:g} s", transient=True)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return NodeFailure("timeout", f"no response within {read_timeout(t):g} s (read timeout)")
    if isinstance(exc, requests.exceptions.SSLError):
        return NodeFailure("connection", f"TLS: {_reason(exc)}")
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return NodeFailure("connection", _reason(exc), transient=True)
    if isinstance(exc, requests.exceptions.RequestException):
        return NodeFailure("connection", _reason(exc))
    if isinstance(exc, WSManFaultError):
        return NodeFailure("protocol", f"WS-Management fault {exc.code}: {exc.reason or exc}")
    if isinstance(exc, WinRMTransportError):
        return NodeFailure("protocol", f"HTTP {exc.code} from the WinRM service", transient=exc.code >= 500)
    # WinRMError, ET.ParseError, and any other surprise: the per-node boundary, one node's surprise
    # must not end the scan.
    log.debug("node failure: %s", type(exc).__name__, exc_info=exc)
    return NodeFailure("protocol", f"{type(exc).__name__}: {exc}")


def _stop_remote(pool: RunspacePool, ps: PowerShell, deadline: NodeDeadline) -> str:
    """After the deadline: stop the pipeline and delete the shell if the server still listens
    (within the deadline's cleanup grace). Says what happened, for the node's error message."""
    with deadline.cleanup():
        try:
            if ps.state == PSInvocationState.RUNNING:
                ps.stop()
            pool.close()
        except Exception as exc:
            log.debug("stopping the pipeline after the deadline failed: %s", type(exc).__name__, exc_info=True)
            return "; the node did not take the stop request, its shell stays until WinRM's idle timeout"
    return "; the pipeline was stopped and the shell closed"


def _deadline_message(deadline: NodeDeadline, cleanup: str) -> str:
    return f"no complete answer within the node deadline of {deadline.seconds:g} s{cleanup}"


def _keep_resolved_proxies(wsman: WSMan) -> None:
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


def wsman_options(target: NodeTarget, credentials: Credentials) -> dict[str, Any]:
    """Keyword arguments for pypsrp's WSMan (all but the server)."""
    t = target.transport
    encryption = t.encryption
    if encryption == "auto" and t.scheme == "http" and t.auth in ("basic", "certificate"):
        encryption = "never"  # nothing to encrypt with; scan.warn_insecure says so off loopback
    options: dict[str, Any] = {
        "port": target.port,
        "ssl": t.scheme == "https",
        "path": t.path,
        "auth": t.auth,
        "cert_validation": t.cert_validation,
        "encryption": encryption,
        "connection_timeout": t.connect_timeout,
        "read_timeout": read_timeout(t),
        "operation_timeout": t.operation_timeout,
        "reconnection_retries": 0,  # retries are ours: transient failures only, never a 401
        "username": credentials.username,
        "password": credentials.password.reveal() if credentials.password else None,
    }
    if t.auth == "certificate":
        options["certificate_pem"] = credentials.certificate_pem
        options["certificate_key_pem"] = credentials.certificate_key_pem
    return options


def read_timeout(t: Transport) -> float:
    """The HTTP read timeout must outlast the WS-Man OperationTimeout a Receive may be held for."""
    return t.read_timeout if t.read_timeout is not None else t.operation_timeout + 10


def parse_output(objects: list[Any], errors: list[str], failed: bool) -> dict[str, Any]:
    """The collector's one output string, parsed and checked against the collector_output schema
    (all but the cluster view, which facts_from_outputs checks once for the whole scan)."""
    texts = [o for o in objects if isinstance(o, str)]
    if failed or not texts:
        reason = errors[0] if errors else f"{len(objects)} output objects and no JSON text"
        raise NodeFailure("protocol", f"collector did not run: {reason}")
    if len(objects) != 1:
        raise NodeFailure("protocol", f"collector printed {len(objects)} objects, expected one JSON string")
    try:
        doc = json.loads(texts[0])
    except json.JSONDecodeError as exc:
        raise NodeFailure("protocol", f"collector output is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise NodeFailure("protocol", "collector output is JSON nested too deeply to read") from None
    problems = node_output_problems(doc)  # the cluster view is checked once per scan, when the facts are built
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise NodeFailure("protocol", f"collector output {first.pointer}: {first.message}{more}")
    if doc["collector_version"] != COLLECTOR_VERSION:
        raise NodeFailure("protocol", f"collector output /collector_version: {doc['collector_version']!r}, expected {COLLECTOR_VERSION!r}")
    return doc


def _record_text(record: Any) -> str:
    message = getattr(record, "message", None) or str(record)
    return " ".join(str(message).split())


def _reason(exc: BaseException) -> str:
    """The innermost useful reason of a requests/urllib3 error, e.g. 'Connection refused'."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] ([^'\")]+)", r"'([^']*(?:aborted|reset|closed|Remote end)[^']*)'",
                    r"(certificate verify failed[^'\")]*)", r"(Max retries exceeded[^(]*)"):
        m = re.search(pattern, text)
        if m:
            return m.group(1).strip(" .:")
    return text


def _clean(message: str, credentials: Credentials) -> str:
    """One line, bounded, and never the password even if a library echoed it."""
    text = " ".join(message.split())
    if credentials.password and credentials.password.reveal():
        text = text.replace(credentials.password.reveal(), "***")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."
