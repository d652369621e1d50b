"""A fleet through the pipeline: every cluster collected through one node budget, each evaluated on
its own facts as soon as its last node is in, written to OUT/<cluster>/, and indexed by
OUT/fleet.json, OUT/fleet.html and OUT/fleet.pdf. A cluster whose nodes report another cluster's
name is not evaluated and gets no folder, only its row (INCOMPLETE, with the one-line error): the
other clusters go on as usual.

    outcome = scan_fleet_and_report(clusters, out_dir, options, history=store)
    outcome.exit_code          # the worst cluster verdict's
"""
from __future__ import annotations

import re
from collections.abc import Sequence
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
    """The outcome of every cluster evaluated and its folder (in the order asked for), the clusters not
    evaluated because their nodes report another cluster, and the fleet document (a row for each)."""

    clusters: tuple[ScanOutcome, ...]
    folders: tuple[str, ...]  # clusters[i]'s folder under OUT
    mismatched: tuple[ClusterMismatch, ...]
    document: dict[str, Any]
    paths: dict[str, Path]

    @property
    def partial(self) -> bool:
        return any(c.partial for c in self.clusters) or any(m.partial for m in self.mismatched)

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
                          history: HistoryStore | None = None) -> FleetOutcome:
    """Collect, evaluate and write every cluster, then the fleet files. The rules are loaded once
    (before any node is contacted); options.parallel is the node budget of the whole fleet.
    Recording the runs is the caller's choice (pipeline.record per cluster)."""
    options = options or ScanOptions()
    rules = rules or load_rule_set(options.rules)
    folders = cluster_folders(clusters)
    done: dict[str, tuple[ScanOutcome, bool | None]] = {}
    mismatched: dict[str, ClusterMismatch] = {}
    for scanned in scan_fleet(clusters, options.meta, options.collection(resolver)):
        if isinstance(scanned, ClusterMismatch):
            mismatched[scanned.cluster] = scanned
            continue
        outcome = report_scanned(scanned, out / folders[scanned.cluster], options, rules, history)
        done[scanned.cluster] = (outcome, outcome.view.cluster["mixed_mode"])
    rows = []
    for cluster in clusters:
        if cluster.name in mismatched:
            bad = mismatched[cluster.name]
            rows.append(unevaluated_row(cluster.name, bad.line, nodes=len(cluster.nodes),
                                        collected=sum(1 for r in bad.results if r.reachable), partial=bad.partial))
            continue
        outcome, mixed = done[cluster.name]
        folder = folders[cluster.name]
        report = f"{folder}/{outcome.paths['html'].name}" if "html" in outcome.paths else None
        rows.append(cluster_row(outcome.result, mixed_mode=mixed, report=report,
                                findings=f"{folder}/{outcome.paths['findings'].name}", partial=outcome.partial))
    evaluated = [c.name for c in clusters if c.name in done]
    outcomes = tuple(done[name][0] for name in evaluated)
    bad_ones = tuple(mismatched[c.name] for c in clusters if c.name in mismatched)
    partial = any(o.partial for o in outcomes) or any(m.partial for m in bad_ones)
    document = fleet_document(rows, source="scan", inventory=options.meta.inventory, partial=partial)
    wanted = {"json"} | {k for k in ("html", "pdf") if getattr(options.reports, k)}
    paths = {key: out / name for key, name in FLEET_FILES.items() if key in wanted}
    write_fleet(document, json=paths["json"], html=paths.get("html"), pdf=paths.get("pdf"), pdfa=options.reports.pdfa,
                sign=options.reports.sign)
    return FleetOutcome(outcomes, tuple(folders[name] for name in evaluated), bad_ones, document, paths)

