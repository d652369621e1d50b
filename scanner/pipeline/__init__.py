"""The scan pipeline as library calls: collect → facts → evaluate → reports → history.

Typed options in, typed outcomes out; no argument parsing, printing or exiting (that is
scanner/cli/). Used alike by the CLI, the unattended runner, the demo and the tests.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.pipeline.cluster import FILES, ScanOutcome, facts_bytes, record, report_scanned, scan_and_report
    from scanner.pipeline.fleet import FLEET_FILES, FleetOutcome, cluster_folders, scan_fleet_and_report
    from scanner.pipeline.options import ReportOptions, RuleOptions, ScanOptions
    from scanner.pipeline.rules import LoadedRules, load_rule_set

# Each name is imported from its module when first used: `rollready rules list` needs the rules
# half without pulling in the collection half (pypsrp, requests) or the reports (WeasyPrint).
_HOMES = {
    "FILES": "cluster", "ScanOutcome": "cluster", "facts_bytes": "cluster", "record": "cluster",
    "report_scanned": "cluster", "scan_and_report": "cluster",
    "FLEET_FILES": "fleet", "FleetOutcome": "fleet", "cluster_folders": "fleet", "scan_fleet_and_report": "fleet",
    "ReportOptions": "options", "RuleOptions": "options", "ScanOptions": "options",
    "LoadedRules": "rules", "load_rule_set": "rules",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"scanner.pipeline.{home}"), name)

__all__ = [
    "FILES", "FLEET_FILES", "FleetOutcome", "LoadedRules", "ReportOptions", "RuleOptions", "ScanOptions", "ScanOutcome", "facts_bytes",
    "cluster_folders", "load_rule_set", "record", "report_scanned", "scan_and_report",
    "scan_fleet_and_report",
]
