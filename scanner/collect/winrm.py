"""One node through pypsrp: run collector.ps1 in one runspace pool and one pipeline (the API layer over
scanner/collect/protocol.py, PSRP messages, and scanner/collect/transport.py, HTTP and TLS).

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

import importlib.util
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests
from pypsrp.complex_objects import PSInvocationState
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
from pypsrp.powershell import RunspacePool

from scanner.collect import COLLECTOR_VERSION, collector_script
from scanner.collect.deadline import NodeDeadline
from scanner.collect.protocol import CollectorPool, PowerShell, clixml_string
from scanner.collect.transport import NodeWSMan, keep_resolved_proxies, tls_context
from scanner.collect.wire import OutputEncodingError, unpack
from scanner.credentials import Credentials
from scanner.facts.document import MAX_FACT_ITEMS, MAX_FACT_STRING
from scanner.facts.outputs import node_output_problems
from scanner.inventory import NodeTarget, Transport
from scanner.schemas import within_bounds_and_valid

log = logging.getLogger(__name__)
# pypsrp logs read timeouts with log.exception; without a handler Python's last-resort handler
# would print those tracebacks on stderr. rollready reports the error once, as a node error.
logging.getLogger("pypsrp").addHandler(logging.NullHandler())

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
    clixml_string(collector_script())
    within_bounds_and_valid(None, "facts.schema.json", ref="collector_output", max_string=MAX_FACT_STRING,
                            max_items=MAX_FACT_ITEMS)
    for bundle in {t.transport.cert_validation for t in targets
                   if t.transport.scheme == "https" and t.transport.auth != "certificate"}:
        tls_context(bundle)


def _run_collector(target: NodeTarget, credentials: Credentials, deadline: NodeDeadline, script: str | None,
                   parse: Parse) -> dict[str, Any]:
    t = target.transport
    parameters: tuple[tuple[str, Any], ...] = ()
    if script is None:
        script, parameters = collector_script(), (("WmiTimeoutSec", t.wmi_timeout), ("CompressOutput", True))
    try:
        with NodeWSMan(target.host, **wsman_options(target, credentials)) as wsman:
            # Built now rather than on the first exchange, so that the deadline sees every connection.
            wsman.transport.session = wsman.transport._build_session()
            deadline.watch(wsman.transport.session)
            keep_resolved_proxies(wsman)
            pool = CollectorPool(wsman, script, parameters)
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
    """The collector's one output string (JSON, or compressed: scanner/collect/wire.py), parsed and
    checked against the collector_output schema (all but the cluster view, which facts_from_outputs
    checks once for the whole scan)."""
    texts = [o for o in objects if isinstance(o, str)]
    if failed or not texts:
        reason = errors[0] if errors else f"{len(objects)} output objects and no JSON text"
        raise NodeFailure("protocol", f"collector did not run: {reason}")
    if len(objects) != 1:
        raise NodeFailure("protocol", f"collector printed {len(objects)} objects, expected one JSON string")
    try:
        doc = json.loads(unpack(texts[0]))
    except OutputEncodingError as exc:
        raise NodeFailure("protocol", f"collector output: {exc}") from None
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
