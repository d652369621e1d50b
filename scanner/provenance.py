"""Who scanned what, from where and how: the provenance an auditor reads on the report's cover.

Two moments are recorded. At collection time (`collection_provenance`, stored in the facts'
`scan.provenance`, so a facts file keeps it wherever it travels): the scanning host and OS user,
the command line with secrets redacted, the collector's version and SHA-256, the inventory's
SHA-256, and per cluster the remote account, the authentication method and whether TLS was
verified. At evaluation time (`result_provenance`, the result document's `provenance`): the
collection record copied from the facts, plus who evaluated them, where, with which command.
Neither ever holds a secret: credentials are references, and the command line is redacted.
"""
from __future__ import annotations

import getpass
import hashlib
import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # reports read TLS_TEXT without loading the inventory code
    from scanner.facts.model import CollectionProvenance, Connection, ScanSection
    from scanner.inventory import Cluster, Transport

TlsState = Literal["verified", "ca_bundle", "disabled", "not_used"]
TLS_TEXT: dict[str, str] = {
    "verified": "verified (system trust store)",
    "ca_bundle": "verified against a CA bundle",
    "disabled": "NOT VERIFIED (--insecure / cert_validation: false)",
    "not_used": "not used (plain HTTP)",
}
REDACTED = "***"
# Options whose next argument is a secret (none of rollready's take one: these are what a user might
# type anyway), KEY=VALUE words that look like secrets, and passwords inside URLs (a history database).
_SECRET_OPTIONS = re.compile(r"^--?(password|passwd|pwd|secret|token|api-key|sign-password)$", re.IGNORECASE)
_SECRET_ASSIGN = re.compile(r"^(--?[\w-]*(?:password|passwd|pwd|secret|token|api-key)[\w-]*=|"
                            r"[\w.-]*(?:password|passwd|pwd|secret|token)[\w.-]*=)(.+)$", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<secret>[^@/\s]+)(?P<tail>@)", re.IGNORECASE)


def redact_command_line(argv: Sequence[str]) -> list[str]:
    """The command line as typed, with anything that looks like a secret replaced by ***."""
    out: list[str] = []
    hide_next = False
    for word in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        if _SECRET_OPTIONS.match(word):
            hide_next = True
            out.append(word)
            continue
        assigned = _SECRET_ASSIGN.match(word)
        if assigned:
            out.append(assigned.group(1) + REDACTED)
            continue
        out.append(_URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED + m.group("tail"), word))
    return out


def tls_state(transport: Transport) -> TlsState:
    if transport.scheme != "https":
        return "not_used"
    if transport.cert_validation is False:
        return "disabled"
    return "ca_bundle" if isinstance(transport.cert_validation, str) else "verified"


def connections(cluster: Cluster) -> list[Connection]:
    """One entry per distinct way the cluster's nodes were reached (usually exactly one)."""
    seen: dict[tuple[Any, ...], Connection] = {}
    for node in cluster.nodes:
        t = node.transport
        key = (node.credentials.username, t.auth, t.scheme, tls_state(t))
        entry = seen.get(key)
        if entry is None:
            entry = seen[key] = {"cluster": cluster.name, "account": node.credentials.username, "auth": t.auth,
                                 "scheme": t.scheme, "tls": tls_state(t), "nodes": []}
        entry["nodes"].append(node.name)
    return list(seen.values())


def host_name() -> str | None:
    try:
        return socket.getfqdn() or socket.gethostname() or None
    except OSError:
        return None


def os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def file_sha256(path: str | None) -> str | None:
    """SHA-256 of a file, None when there is no such file (an inventory given as --node flags)."""
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def collection_provenance(cluster: Cluster, *, command_line: Sequence[str], inventory: str | None,
                          collector_version: str, collector_text: str) -> CollectionProvenance:
    """The facts' `scan.provenance`: written once, when the nodes are collected."""
    return {
        "scanner_host": host_name(),
        "os_user": os_user(),
        "command_line": redact_command_line(command_line),
        "collector": {"version": collector_version,
                      "sha256": hashlib.sha256(collector_text.encode("utf-8")).hexdigest()},
        "inventory_sha256": file_sha256(inventory),
        "connections": connections(cluster),
    }


def collected_by(record: CollectionProvenance | dict[str, Any]) -> str:
    """"user on host" of a collection record, as the plan and the diff name who collected the facts."""
    return f"{record.get('os_user') or '?'} on {record.get('scanner_host') or '?'}"


def run_provenance(command_line: Sequence[str]) -> dict[str, Any]:
    """This run: host, OS user and the redacted command line (a diff, an evaluation)."""
    return {"host": host_name(), "os_user": os_user(), "command_line": redact_command_line(command_line)}


def result_provenance(facts_scan: ScanSection, *, command_line: Sequence[str]) -> dict[str, Any]:
    """The result's `provenance`: the collection record (null for facts that carry none, such as
    offline collector outputs or examples) and who evaluated them, where, how."""
    collection = facts_scan.get("provenance")
    tls = [c["tls"] for c in collection["connections"]] if collection else []
    return {
        "collection": collection,
        "evaluation": run_provenance(command_line),
        "tls_verified": None if not tls else not any(t in ("disabled", "not_used") for t in tls),
        "insecure": "disabled" in tls,
    }
