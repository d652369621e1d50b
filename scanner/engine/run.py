"""One evaluation, end to end and still pure: facts document in, result document out."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from scanner import __version__
from scanner.canonical import canonical_json, sha256_hex
from scanner.engine.attestations import Attestation, apply_attestations
from scanner.engine.catalogs import Catalog
from scanner.engine.contradictions import contradictions
from scanner.engine.evaluate import evaluate_pack
from scanner.engine.loader import RulePack
from scanner.engine.phase import functional_levels, observed_phase
from scanner.engine.verdict import decide
from scanner.engine.waivers import Waiver, apply_waivers
from scanner.errors import InputError, Problem
from scanner.facts.document import collection_gaps
from scanner.facts.model import FactsDoc
from scanner.facts.view import FactsView, view_of
from scanner.gcpause import paused_gc
from scanner.model import RESULT_SCHEMA_VERSION, SEVERITIES, STATUSES, Finding
from scanner.times import format_utc, parse_time, utc_now
from scanner.versions import RELEASES


def scan_params(view: FactsView, phase: str | None, target_os: str | None, source_os: str | None) -> dict[str, Any]:
    """Parameters: the command line wins over the facts' scan metadata; the source OS defaults to
    the oldest release among the members, and is not guessed while a member's release is unknown
    (scanning only the upgraded node of a mixed cluster must not make its release the source)."""
    scan = view.scan
    releases = view.cluster.get("os_releases") or []
    complete = view.cluster.get("mixed_mode") is not None
    oldest = min(releases, key=RELEASES.index) if releases and complete else None
    return {
        "phase": phase or scan.get("phase"),
        "target_os": target_os or scan.get("target_os"),
        "source_os": source_os or scan.get("source_os") or oldest,
    }


def evaluate_facts(doc: FactsDoc, pack: RulePack, catalogs: dict[str, Catalog], *, phase: str | None,
                   target_os: str | None = None, source_os: str | None = None, now: datetime | None = None,
                   facts_sha256: str | None = None, waivers: Sequence[Waiver] | None = None,
                   attestations: Sequence[Attestation] | None = None,
                   today: date | None = None, rules_phase: str | None = None,
                   view: FactsView | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Evaluate a checked facts document. `phase` is the declared phase (default: the facts' own);
    the phase the facts show selects the rules (scanner/engine/phase.py) unless `rules_phase` forces
    one (rule fixture tests). `now` defaults to the facts' collection time, so the same facts always
    give the same findings. Attestations, then waivers (default: the pack's) are applied as of
    `today`, which defaults to the real UTC date: an approval is valid on calendar days, and
    re-evaluating old facts must not revive an expired waiver. `view`: the cluster view of `doc` when
    the caller has built it already (built once per run)."""
    with paused_gc(freeze_after=True):  # see evaluate_pack: the result document is as many small objects again
        return _evaluate_facts(doc, pack, catalogs, phase=phase, target_os=target_os, source_os=source_os,
                               now=now, facts_sha256=facts_sha256, waivers=waivers, attestations=attestations,
                               today=today, rules_phase=rules_phase, view=view)


def _evaluate_facts(doc: FactsDoc, pack: RulePack, catalogs: dict[str, Catalog], *, phase: str | None,
                    target_os: str | None, source_os: str | None, now: datetime | None, facts_sha256: str | None,
                    waivers: Sequence[Waiver] | None, attestations: Sequence[Attestation] | None,
                    today: date | None, rules_phase: str | None,
                    view: FactsView | None) -> tuple[dict[str, Any], list[Finding]]:
    view = view_of(doc, view)  # built with the GC paused, like the findings (a view is many small dicts)
    levels = functional_levels(catalogs)
    declared = phase or view.scan.get("phase")
    reading = observed_phase(view, target_os or view.scan.get("target_os"), levels)
    selecting = rules_phase or reading.observed or declared
    if selecting is None:
        raise InputError([Problem(f"the facts do not show the upgrade phase ({reading.why}) and none was declared: "
                                  "give the phase (pre, mixed or post)")])
    params = scan_params(view, selecting, target_os, source_os)
    params.update(declared_phase=declared, observed_phase=reading.observed)
    when = now or parse_time(view.scan.get("collected_at")) or utc_now()
    findings = evaluate_pack(pack, view, params, catalogs, when)
    day = today or utc_now().date()
    findings, attested = apply_attestations(findings, pack.attestations if attestations is None else attestations, day)
    findings, waived = apply_waivers(findings, pack.waivers if waivers is None else waivers, day,
                                     [r.id for r in pack.rules])
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    status_rank = {s: i for i, s in enumerate(STATUSES)}
    findings.sort(key=lambda f: (sev_rank[f.severity], status_rank[f.status], f.rule_id, f.subject))
    gaps = collection_gaps(doc) + contradictions(view, levels, when)
    coverage = view.coverage
    scope = run_scope(pack, waived, attested)
    verdict = decide(findings, gaps + coverage.outsider_problems(), not_scanned=coverage.not_scanned,
                     narrowed=scope["narrowed_by"])
    result = {
        "schema_version": RESULT_SCHEMA_VERSION,
        "tool": {"name": "rollready", "version": __version__},
        "generated_at": format_utc(utc_now()),
        "evaluated_at": when.isoformat(),
        "phase": params["phase"],
        "observed_phase": reading.observed,
        "declared_phase": declared,
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
        "scope": {k: v for k, v in scope.items() if k != "narrowed_by"},
        "findings": [f.to_dict() for f in findings],
        "waivers": waived,
        "attestations": attested,
    }
    return result, findings


def run_scope(pack: RulePack, waived: dict[str, Any], attested: list[dict[str, Any]]) -> dict[str, Any]:
    """What this run judged: the rule selection (a narrowed set is at best GO WITH WARNINGS), the
    selected rules' digest beside the full pack's, and the exceptions in force. `narrowed_by` is the
    one-line description the verdict quotes (None: the whole pack ran)."""
    selected = sorted(r.id for r in pack.rules)
    filters = {k: list(v) for k, v in pack.selection.items() if v}
    total = len(selected) + len(pack.left_out)
    narrowed_by = None
    if pack.left_out:
        how = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in filters.items()) or "a selection"
        narrowed_by = f"{how}; {len(pack.left_out)} of {total} rules left out"
    return {
        "narrowed": bool(pack.left_out),
        "narrowed_by": narrowed_by,
        "filters": filters,
        "rules_selected": len(selected),
        "rules_total": total,
        "left_out": sorted(pack.left_out),
        # The selected set, bound to the exact pack it came from (the full pack's digest is beside it).
        "selected_sha256": sha256_hex(canonical_json({"pack_sha256": pack.sha256, "rules": selected})),
        "pack_sha256": pack.sha256,
        "waivers": [_exception(w, "approved_by") for w in waived.get("applied") or []],
        "attestations": [_exception(a, "attested_by") for a in attested if a.get("state") == "applied"],
    }


def _exception(entry: dict[str, Any], by: str) -> dict[str, Any]:
    keep = ("id", "rule", "subject", "node", "expires", by, "file", "line")
    return {**{k: entry[k] for k in keep if entry.get(k) is not None}, "findings": len(entry.get("findings") or [])}


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

