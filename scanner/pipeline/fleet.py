"""A fleet through the pipeline: every cluster collected through one node budget, each evaluated on
its own facts as soon as its last node is in, written to OUT/<cluster>/, and indexed by
OUT/fleet.json, OUT/fleet.html and OUT/fleet.pdf. A cluster whose nodes report another cluster's
name is not evaluated and gets no folder, only its row (INCOMPLETE, with the one-line error): the
other clusters go on as usual.

    outcome = scan_fleet_and_report(clusters, out_dir, options, history=store, each=record_it)
    outcome.exit_code          # the worst cluster verdict's

Each cluster's outcome (facts, findings, view) goes to `each` once its files are written and is
then let go: the fleet's facts are never all in memory at once (with scanner/collect/window.py
bounding how far the collection runs ahead, a run holds a few clusters, not the fleet).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.collect.scan import ClusterMismatch, scan_fleet
from scanner.credentials import CredentialResolver
from scanner.history import HistoryStore
from scanner.inventory import Cluster
from scanner.pipeline.cluster import ScanOutcome, report_scanned
from scanner.pipeline.options import ScanOptions
from scanner.pipeline.rules import LoadedRules, load_rule_set
from scanner.report.fleet import cluster_row, fleet_document, unevaluated_row, write_fleet

FLEET_FILES = {"json": "fleet.json", "html": "fleet.html", "pdf": "fleet.pdf"}
# Names Windows will not create as a folder, whatever the extension.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class FleetOutcome:
    """The folder of every cluster evaluated (in the order asked for), the clusters not evaluated
    because their nodes report another cluster, and the fleet document (a row for each). The
    clusters' own outcomes went to scan_fleet_and_report's `each`, one at a time."""

    folders: tuple[str, ...]  # the evaluated clusters' folders under OUT, in the order asked for
    mismatched: tuple[ClusterMismatch, ...]
    document: dict[str, Any]
    paths: dict[str, Path]
    partial: bool  # some cluster's facts are partial (the scan was interrupted)

    @property
    def exit_code(self) -> int:
        return int(self.document["verdict"]["exit_code"])


def cluster_folders(clusters: Sequence[Cluster]) -> dict[str, str]:
    """A folder name for each cluster: its name where the file system takes it as it is, made
    safe otherwise (and told apart case-insensitively, for Windows and macOS)."""
    taken = {name.lower() for name in FLEET_FILES.values()}
    folders: dict[str, str] = {}
    for cluster in clusters:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", cluster.name).lstrip(".") or "cluster"
        if base.split(".")[0].lower() in RESERVED:
            base += "_"
        folder, n = base, 1
        while folder.lower() in taken:
            n += 1
            folder = f"{base}-{n}"
        taken.add(folder.lower())
        folders[cluster.name] = folder
    return folders


def scan_fleet_and_report(clusters: Sequence[Cluster], out: Path, options: ScanOptions | None = None, *,
                          rules: LoadedRules | None = None, resolver: CredentialResolver | None = None,
                          history: HistoryStore | None = None,
                          each: Callable[[ScanOutcome, Path], None] | None = None) -> FleetOutcome:
    """Collect, evaluate and write every cluster, then the fleet files. The rules are loaded once
    (before any node is contacted); options.parallel is the node budget of the whole fleet.
    each(outcome, folder) is called for every cluster evaluated, once its files are written
    (recording the run in the history is the caller's choice: pipeline.record)."""
    options = options or ScanOptions()
    rules = rules or load_rule_set(options.rules)
    folders = cluster_folders(clusters)
    rows: dict[str, dict[str, Any]] = {}
    mismatched: dict[str, ClusterMismatch] = {}
    partial = False
    for scanned in scan_fleet(clusters, options.meta, options.collection(resolver)):
        if isinstance(scanned, ClusterMismatch):
            mismatched[scanned.cluster] = scanned
            partial = partial or scanned.partial
            continue
        folder = folders[scanned.cluster]
        outcome = report_scanned(scanned, out / folder, options, rules, history)
        report = f"{folder}/{outcome.paths['html'].name}" if "html" in outcome.paths else None
        rows[scanned.cluster] = cluster_row(outcome.result, mixed_mode=outcome.view.cluster["mixed_mode"], report=report,
                                            findings=f"{folder}/{outcome.paths['findings'].name}",
                                            partial=outcome.partial)
        partial = partial or outcome.partial
        if each is not None:
            each(outcome, out / folder)
    document = fleet_document([rows[c.name] if c.name in rows else _unevaluated(c, mismatched[c.name]) for c in clusters],
                              source="scan", inventory=options.meta.inventory, partial=partial)
    wanted = {"json"} | {k for k in ("html", "pdf") if getattr(options.reports, k)}
    paths = {key: out / name for key, name in FLEET_FILES.items() if key in wanted}
    write_fleet(document, json=paths["json"], html=paths.get("html"), pdf=paths.get("pdf"), pdfa=options.reports.pdfa,
                sign=options.reports.sign)
    return FleetOutcome(tuple(folders[c.name] for c in clusters if c.name in rows),
                        tuple(mismatched[c.name] for c in clusters if c.name in mismatched), document, paths, partial)


def _unevaluated(cluster: Cluster, bad: ClusterMismatch) -> dict[str, Any]:
    return unevaluated_row(cluster.name, bad.line, nodes=len(cluster.nodes),
                           collected=sum(1 for r in bad.results if r.reachable), partial=bad.partial)
