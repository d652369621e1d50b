"""One evaluation, end to end and still pure: facts document in, result document out."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from scanner import __version__
from scanner.canonical import canonical_json, sha256_hex
from scanner.engine.attestations import Attestation, apply_attestations
from scanner.engine.catalogs import Catalog
from scanner.engine.evaluate import evaluate_pack, paused_gc
from scanner.engine.loader import RulePack
from scanner.engine.verdict import decide
from scanner.engine.waivers import Waiver, apply_waivers
from scanner.facts import FactsView, build_view, collection_gaps
from scanner.model import RESULT_SCHEMA_VERSION, SEVERITIES, STATUSES, Finding
from scanner.times import format_utc, parse_time, utc_now
from scanner.versions import RELEASES


def scan_params(view: FactsView, phase: str | None, target_os: str | None, source_os: str | None) -> dict[str, Any]:
    """Parameters: the command line wins over the facts' scan metadata; the source OS defaults to
    the oldest release among the nodes."""
    scan = view.scan
    releases = view.cluster.get("os_releases") or []
    oldest = min(releases, key=RELEASES.index) if releases else None
    return {
        "phase": phase or scan.get("phase"),
        "target_os": target_os or scan.get("target_os"),
        "source_os": source_os or scan.get("source_os") or oldest,
    }


def evaluate_facts(doc: dict[str, Any], pack: RulePack, catalogs: dict[str, Catalog], *, phase: str | None,
                   target_os: str | None = None, source_os: str | None = None, now: datetime | None = None,
                   facts_sha256: str | None = None, waivers: Sequence[Waiver] | None = None,
                   attestations: Sequence[Attestation] | None = None,
                   today: date | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Evaluate a checked facts document. `now` defaults to the facts' collection time, so the
    same facts always give the same findings. Attestations, then waivers (default: the pack's)
    are applied as of `today`, which defaults to the real UTC date: an approval is valid on
    calendar days, and re-evaluating old facts must not revive an expired waiver."""
    with paused_gc():  # see evaluate_pack: the result document is as many small objects again
        return _evaluate_facts(doc, pack, catalogs, phase=phase, target_os=target_os, source_os=source_os,
                               now=now, facts_sha256=facts_sha256, waivers=waivers, attestations=attestations,
                               today=today)


def _evaluate_facts(doc: dict[str, Any], pack: RulePack, catalogs: dict[str, Catalog], *, phase: str | None,
                    target_os: str | None, source_os: str | None, now: datetime | None, facts_sha256: str | None,
                    waivers: Sequence[Waiver] | None, attestations: Sequence[Attestation] | None,
                    today: date | None) -> tuple[dict[str, Any], list[Finding]]:
    view = build_view(doc)
    params = scan_params(view, phase, target_os, source_os)
    if params["phase"] is None:
        raise ValueError("phase is required")
    when = now or parse_time(view.scan.get("collected_at")) or utc_now()
    findings = evaluate_pack(pack, view, params, catalogs, when)
    day = today or utc_now().date()
    findings, attested = apply_attestations(findings, pack.attestations if attestations is None else attestations, day)
    findings, waived = apply_waivers(findings, pack.waivers if waivers is None else waivers, day,
                                     [r.id for r in pack.rules])
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    status_rank = {s: i for i, s in enumerate(STATUSES)}
    findings.sort(key=lambda f: (sev_rank[f.severity], status_rank[f.status], f.rule_id, f.subject))
    gaps = collection_gaps(doc)
    coverage = view.coverage
    verdict = decide(findings, gaps + coverage.problems(), not_scanned=coverage.not_scanned)
    result = {
        "schema_version": RESULT_SCHEMA_VERSION,
        "tool": {"name": "rollready", "version": __version__},
        "generated_at": format_utc(utc_now()),
        "evaluated_at": when.isoformat(),
        "phase": params["phase"],
        "source_os": params["source_os"],
        "target_os": params["target_os"],
        "scan": view.scan,
        "cluster": _cluster_summary(view),
        "rule_pack": {
            "paths": list(pack.files),
            "version": pack.version,
            "sha256": pack.sha256,
            "rules": len(pack.rules),
            "catalogs": [{"name": c.name, "path": path, "sha256": c.digests.get(path)}
                         for c in sorted(catalogs.values(), key=lambda c: c.name) for path in c.sources],
        },
        "facts_sha256": facts_sha256 or sha256_hex(canonical_json(doc)),
        "verdict": verdict.to_dict(),
        "collection_problems": coverage.problems() + gaps,
        "coverage": coverage.to_dict(),
        "findings": [f.to_dict() for f in findings],
        "waivers": waived,
        "attestations": attested,
    }
    return result, findings


def _cluster_summary(view: FactsView) -> dict[str, Any]:
    c = view.cluster
    return {
        "name": c.get("name"),
        "functional_level": c.get("functional_level"),
        "upgrade_version": c.get("upgrade_version"),
        "mixed_mode": c.get("mixed_mode"),
        "nodes": [
            {
                "name": n["name"],
                "reachable": n.get("reachable"),
                "os_caption": (n.get("os") or {}).get("caption"),
                "os_version": (n.get("os") or {}).get("full_version") or (n.get("os") or {}).get("version"),
                "release": (n.get("os") or {}).get("release"),
                "build": (n.get("os") or {}).get("build"),
                "errors": n.get("errors") or [],
            }
            for n in view.nodes
        ],
    }

