"""The scan pipeline as library calls: collect → facts → evaluate → reports → history.

Typed options in, typed outcomes out; no argument parsing, printing or exiting (that is
scanner/cli/). Used alike by the CLI, the unattended runner, the demo and the tests.
"""
from scanner.pipeline.cluster import FILES, ScanOutcome, facts_bytes, record, report_scanned, scan_and_report
from scanner.pipeline.fleet import FLEET_FILES, FleetOutcome, cluster_folders, scan_fleet_and_report
from scanner.pipeline.options import ReportOptions, RuleOptions, ScanOptions
from scanner.pipeline.rules import LoadedRules, load_rule_set

__all__ = [
    "FILES", "FLEET_FILES", "FleetOutcome", "LoadedRules", "ReportOptions", "RuleOptions", "ScanOptions", "ScanOutcome", "facts_bytes",
    "cluster_folders", "load_rule_set", "record", "report_scanned", "scan_and_report",
    "scan_fleet_and_report",
]
