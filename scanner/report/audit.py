"""What an auditor reads besides the findings: provenance, scope and coverage, waivers and
attestations as tables, and the one-line cause when every node failed the same way.

Shared by the readiness report and the diff (both are audit documents with the same cover block).
Everything here reads the result document only; nothing is recomputed from the facts.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scanner.provenance import TLS_TEXT

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class ExceptionRow:
    """One waiver or attestation as a table row; `status` is what an auditor checks first."""

    id: str
    rule: str
    subject: str
    justification: str  # a waiver's justification, an attestation's statement
    approver: str
    ticket: str  # a waiver's ticket, an attestation's evidence
    date: str  # the attestation's date; empty for waivers
    expires: str
    status: str  # waivers: active, expired, stale, unused; attestations: applied, expired, not yet valid, stale
    covers: list[str]  # the findings it decided or (expired) no longer hides, as "RULE on SUBJECT"
    note: str = ""
    source: str = ""  # file:line


def _source(entry: dict[str, Any]) -> str:
    file = entry.get("file") or ""
    return f"{file}:{entry['line']}" if file and entry.get("line") else file


def _subject(entry: dict[str, Any]) -> str:
    node = entry.get("node")
    return f"{entry.get('subject', '*')} (node {node})" if node else str(entry.get("subject", "*"))


def _covers(entry: dict[str, Any]) -> list[str]:
    return [f"{f['rule_id']} on {f['subject']}" for f in entry.get("findings") or []]


def waiver_status(kind: str, entry: dict[str, Any]) -> str:
    """applied → active; expired; stale: it matches findings but none needs it any more; unused:
    it matches no finding of this evaluation at all (wrong rule, subject, node or phase)."""
    if kind == "applied":
        return "active"
    if kind == "expired":
        return "expired"
    return str(entry.get("status") or "stale")


def waiver_rows(result: dict[str, Any]) -> list[ExceptionRow]:
    waivers = result.get("waivers") or {}
    rows = []
    for kind in ("applied", "expired", "stale"):
        for w in waivers.get(kind) or []:
            rows.append(ExceptionRow(
                id=str(w.get("id") or "–"), rule=str(w.get("rule", "")), subject=_subject(w),
                justification=str(w.get("justification", "")), approver=str(w.get("approved_by", "")),
                ticket=str(w.get("ticket") or "–"), date="", expires=str(w.get("expires", "")),
                status=waiver_status(kind, w), covers=_covers(w), note=str(w.get("reason") or ""),
                source=_source(w)))
    return rows


ATTESTATION_STATE = {"applied": "applied", "expired": "expired", "not_yet_valid": "not yet valid", "stale": "stale"}


def attestation_rows(result: dict[str, Any]) -> list[ExceptionRow]:
    rows = []
    for a in result.get("attestations") or []:
        evidence = a.get("evidence") or []
        verdict = "attested NOT supported" if a.get("status") == "fail" else "attested supported"
        rows.append(ExceptionRow(
            id=str(a.get("id") or "–"), rule=str(a.get("rule", "")), subject=_subject(a),
            justification=str(a.get("statement", "")), approver=str(a.get("attested_by", "")),
            ticket=", ".join(str(e) for e in evidence) if isinstance(evidence, list) else str(evidence),
            date=str(a.get("date", "")), expires=str(a.get("expires", "")),
            status=ATTESTATION_STATE.get(str(a.get("state")), str(a.get("state"))), covers=_covers(a),
            note=verdict, source=_source(a)))
    return rows


def expired_waivers(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(rule_id, subject) → the expired waiver that used to hide that finding."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for w in (result.get("waivers") or {}).get("expired") or []:
        for f in w.get("findings") or []:
            out.setdefault((f["rule_id"], f["subject"]), w)
    return out


# ------------------------------------------------------------------ provenance, scope, coverage

def _command(words: Any) -> str:
    return " ".join(str(w) for w in words) if isinstance(words, list) and words else NOT_RECORDED


def connection_text(c: dict[str, Any]) -> str:
    nodes = c.get("nodes") or []
    where = f" ({len(nodes)} node{'s' if len(nodes) != 1 else ''})" if nodes else ""
    return (f"{c.get('account') or 'no account (certificate or current user)'} · {c.get('auth')} over "
            f"{c.get('scheme')} · TLS {TLS_TEXT.get(str(c.get('tls')), str(c.get('tls')))}{where}")


def provenance_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Who collected and evaluated, from where, with what: the metadata page's provenance table."""
    prov = result.get("provenance")
    if not prov:
        return [("Provenance", "not recorded in this result (made before rollready recorded provenance)")]
    coll = prov.get("collection")
    rows: list[tuple[str, str]] = []
    if coll:
        collector = coll.get("collector") or {}
        rows += [
            ("Scanning host", coll.get("scanner_host") or NOT_RECORDED),
            ("OS user", coll.get("os_user") or NOT_RECORDED),
            ("Scan command line", _command(coll.get("command_line"))),
            ("Collector", f"version {collector.get('version', '?')}, SHA-256 {collector.get('sha256', '?')}"),
            ("Inventory SHA-256", coll.get("inventory_sha256") or "no inventory file (nodes named on the command line)"),
        ]
        rows += [(f"Remote access, cluster {c.get('cluster')}", connection_text(c)) for c in coll.get("connections") or []]
    else:
        rows.append(("Collection", "the facts carry no collection record (offline collector output, an example, "
                                   "or an older rollready): remote account, authentication and TLS are unknown"))
    ev = prov.get("evaluation") or {}
    rows += [("Evaluated on", f"{ev.get('host') or NOT_RECORDED} by {ev.get('os_user') or NOT_RECORDED}"),
             ("Evaluation command line", _command(ev.get("command_line")))]
    return rows


def tls_line(result: dict[str, Any]) -> str:
    """One line for the cover: how the nodes were reached and whether their certificates were checked."""
    prov = result.get("provenance") or {}
    coll = prov.get("collection") or {}
    conns = coll.get("connections") or []
    if not conns:
        return "Remote access not recorded (offline or example facts)."
    return "Reached as " + "; ".join(connection_text(c) for c in conns) + "."


NOT_SCANNED_WHY = {"not_in_scan": "not in the inventory or --node list", "unreachable": "could not be collected"}


def coverage_line(result: dict[str, Any]) -> str | None:
    """Members scanned of members in the cluster, from the verdict's `coverage` when present."""
    cov = result.get("coverage")
    if not isinstance(cov, dict):
        return None

    def n(key: str) -> int | None:
        value = cov.get(key)
        if isinstance(value, list):
            return len(value)
        return value if isinstance(value, int) else None

    members, scanned = n("members"), n("scanned")
    if members is None or scanned is None:
        return "The cluster's member list was not collected: whether every member was scanned is unknown."
    missing = [f"{m['name']} ({NOT_SCANNED_WHY.get(m['reason'], m['reason'])})"
               for m in cov.get("not_scanned") or [] if isinstance(m, dict)]
    names = f": not scanned {', '.join(missing)}" if missing else ""
    outsiders = cov.get("not_members") or []
    extra = f"; scanned but not a member of the cluster: {', '.join(outsiders)}" if outsiders else ""
    return f"{scanned} of {members} cluster member{'s' if members != 1 else ''} scanned{names}{extra}."


def scope_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The verdict's `scope` (filters, rules selected of total, both digests, exceptions in force) as rows."""
    scope = result.get("scope")
    if not isinstance(scope, dict):
        return []
    filters = scope.get("filters") or {}
    rows = [("Rule selection", "narrowed by " + "; ".join(f"{k}: {', '.join(v)}" for k, v in filters.items())
             if scope.get("narrowed") else "the whole rule pack"),
            ("Rules evaluated", f"{scope.get('rules_selected')} of {scope.get('rules_total')}"),
            ("Selected rules SHA-256", str(scope.get("selected_sha256"))),
            ("Full rule pack SHA-256", str(scope.get("pack_sha256")))]
    if scope.get("left_out"):
        rows.append(("Rules left out", ", ".join(scope["left_out"])))
    rows.append(("Waivers in force", f"{len(scope.get('waivers') or [])} (see Waivers)"))
    rows.append(("Attestations in force", f"{len(scope.get('attestations') or [])} (see Attestations)"))
    return rows


def scope_note(result: dict[str, Any]) -> str | None:
    """Set when the rule set was narrowed (--tags, --skip-tags, any selector): the cover says so."""
    scope = result.get("scope")
    if not isinstance(scope, dict):
        return None
    filters = scope.get("filters")
    narrowed = scope.get("narrowed", bool(filters))
    if not narrowed:
        return None
    selected, total = scope.get("rules_selected"), scope.get("rules_total")
    counted = f" ({selected} of {total} rules)" if selected is not None and total is not None else ""
    chosen = "; ".join(f"{k}: {', '.join(v)}" for k, v in (filters or {}).items()) or "a selector"
    return f"Filtered run: only part of the rule pack was evaluated{counted}, selected by {chosen}. " \
           "This report is not a full readiness check."


# ------------------------------------------------------------------ why nothing was collected

_ATTEMPTS = re.compile(r"\s*\(after \d+ attempts\)$")
SECTION_CAUSE = {"auth": "authentication failed", "connection": "connection failed", "timeout": "timed out",
                 "protocol": "WinRM protocol error", "interrupted": "scan interrupted"}


@dataclass(frozen=True)
class CollectionFailure:
    """Unreachable nodes grouped by cause; `all_down` when no node gave any facts at all."""

    lines: list[str]
    all_down: bool
    down: int
    total: int


def _cause(error: dict[str, Any]) -> str:
    message = _ATTEMPTS.sub("", str(error.get("message") or "")).strip()
    section = str(error.get("section") or "")
    if section == "connection" and message.startswith("TLS"):
        return "TLS handshake failed: " + message[4:].lstrip(": ")
    return message or SECTION_CAUSE.get(section, section or "not reachable")


def collection_failure(result: dict[str, Any]) -> CollectionFailure:
    nodes = result["cluster"]["nodes"]
    down = [n for n in nodes if not n["reachable"]]
    causes = Counter(_cause((n.get("errors") or [{}])[0]) for n in down)
    lines = [f"{cause[:1].upper()}{cause[1:]} on {count} of {len(nodes)} node{'s' if len(nodes) != 1 else ''}."
             for cause, count in causes.most_common()]
    return CollectionFailure(lines, bool(nodes) and len(down) == len(nodes), len(down), len(nodes))
