"""The sub-commands: name, module and one-line help, in the order `rollready --help` lists them.

This table is all `rollready --help` reads: a command's module, and the libraries it needs (pypsrp,
requests, WeasyPrint, rich, the engine), are imported only when that command runs.
"""
from __future__ import annotations

COMMANDS: tuple[tuple[str, str, str], ...] = (  # name, module, help
    ("scan", "scanner.cli.scan_cmd", "scan a cluster (or every cluster of an inventory) over WinRM and write reports"),
    ("collect", "scanner.cli.collect_cmd", "collect facts only, or write collector.ps1 for an offline run"),
    ("evaluate", "scanner.cli.evaluate_cmd", "evaluate fact files against the rules"),
    ("report", "scanner.cli.report_cmd", "render a result document as HTML, PDF, JSON, JUnit XML or CSV"),
    ("verify", "scanner.cli.verify_cmd", "check a PDF report's signature and evidence digests"),
    ("diff", "scanner.cli.diff_cmd", "compare two scans (post-upgrade report)"),
    ("rules", "scanner.cli.rules_cmd", "list, validate, explain and test rules"),
    ("plan", "scanner.cli.plan_cmd", "the safe way through the upgrade: node order, gates, runbook"),
    ("watch", "scanner.cli.watch_cmd", "alert at once during mixed mode (dedup owners, node state, overdue mixed mode)"),
    ("history", "scanner.cli.history_cmd", "recorded scans: list, show, drift, prune"),
    ("schedule", "scanner.cli.schedule_cmd", "Task Scheduler / systemd / cron entries for unattended scans"),
    ("demo", "scanner.cli.demo_cmd", "scan a simulated cluster (the lab) end to end and write the reports"),
    ("lab", "scanner.cli.lab_cmd", "loopback WinRM/PSRP lab serving scenario clusters"),
)


def help_of(name: str) -> str:
    """The one-line help of a command (its module's add_parser and the listing both use it)."""
    return next(text for command, _, text in COMMANDS if command == name)
