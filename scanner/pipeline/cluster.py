"""One cluster through the pipeline: collect → facts → evaluate → reports (→ history by the caller).

    outcome = scan_and_report(cluster, out_dir, ScanOptions(meta=ScanMeta(phase="mixed", target_os="2016")))

Writes OUT/facts.json, OUT/findings.json, OUT/report.html, OUT/report.pdf. No printing, no exit:
the CLI (scanner/cli/scan_cmd.py), the demo, the unattended runner and the tests all call this.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic
from scanner.collect.scan import ScanResult, scan_cluster
from scanner.credentials import CredentialResolver
from scanner.engine.run import evaluate_facts
from scanner.facts.model import FactsDoc
from scanner.facts.view import FactsView, build_view
from scanner.history import HistoryStore, mixed_mode_clock
from scanner.inventory import Cluster
from scanner.pipeline.options import ScanOptions
from scanner.pipeline.rules import LoadedRules, load_rule_set
from scanner.provenance import result_provenance
from scanner.report import write_reports

FILES = {"facts": "facts.json", "findings": "findings.json", "html": "report.html", "pdf": "report.pdf"}


@dataclass(frozen=True)
class ScanOutcome:
    """A scanned cluster: what was collected, the result document, the exact facts bytes evaluated
    and the files written (a report not asked for is absent from paths). `view` is the cluster view
    built once for this scan, over the facts document written and evaluated (`facts`)."""

    scan: ScanResult
    result: dict[str, Any]
    facts_bytes: bytes
    paths: dict[str, Path]
    view: FactsView

    @property
    def facts(self) -> FactsDoc:
        """The facts document written to facts.json and evaluated: the collected one, with the
        mixed-mode clock's `scan.mixed_mode_since`."""
        return self.view.doc

    @property
    def partial(self) -> bool:
        return self.scan.partial

    @property
    def exit_code(self) -> int:
        return int(self.result["verdict"]["exit_code"])


def facts_bytes(facts: FactsDoc) -> bytes:
    """The one serialisation of a facts document written to facts.json (its digest is the result's)."""
    return (json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def scan_and_report(cluster: Cluster, out: Path, options: ScanOptions | None = None, *,
                    rules: LoadedRules | None = None, resolver: CredentialResolver | None = None,
                    history: HistoryStore | None = None) -> ScanOutcome:
    """Collect every node of cluster, evaluate, and write the files into out.

    rules: already loaded (a fleet loads them once); otherwise loaded from options.rules before any
    node is contacted, so bad rules fail fast. The history (when given) dates the mixed-mode window
    for the mixed-mode age rule; without it the newest node's install date stands in. Recording the
    run is the caller's choice (record()): an interrupted scan is not recorded."""
    options = options or ScanOptions()
    rules = rules or load_rule_set(options.rules)
    scanned = scan_cluster(cluster, options.meta, options.collection(resolver))
    return report_scanned(scanned, out, options, rules, history)


def report_scanned(scanned: ScanResult, out: Path, options: ScanOptions, rules: LoadedRules,
                   history: HistoryStore | None) -> ScanOutcome:
    """The steps after collection: the mixed-mode clock dates the facts, facts.json, evaluation, reports.

    The cluster view is built once per scan: the clock reads it, and the evaluation (and `scan --plan`)
    read the same view over the dated document. The collected document (`scanned.facts`) is not edited."""
    collected = build_view(scanned.facts)
    view = collected.with_mixed_mode_since(mixed_mode_clock(scanned.facts, history, view=collected).since_iso)
    facts = view.doc
    raw = facts_bytes(facts)
    wanted = {"facts", "findings"} | {k for k in ("html", "pdf") if getattr(options.reports, k)}
    paths = {key: out / name for key, name in FILES.items() if key in wanted}
    write_atomic(paths["facts"], raw)
    meta = options.meta
    result, _ = evaluate_facts(facts, rules.pack, rules.catalogs, phase=meta.phase, target_os=meta.target_os,
                               source_os=meta.source_os, facts_sha256=hashlib.sha256(raw).hexdigest(), view=view)
    result["provenance"] = result_provenance(facts["scan"], command_line=meta.command_line)
    write_reports(result, raw, html=paths.get("html"), pdf=paths.get("pdf"), json=paths["findings"],
                  pdfa=options.reports.pdfa, sign=options.reports.sign)
    return ScanOutcome(scanned, result, raw, paths, view)


def record(store: HistoryStore, outcome: ScanOutcome, report_dir: str | Path) -> int | None:
    """Record a complete scan in the history; an interrupted (partial) one is not recorded."""
    if outcome.partial:
        return None
    return store.record(outcome.result, outcome.facts, outcome.result["facts_sha256"], str(report_dir))
