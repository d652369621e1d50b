"""The sub-commands and their one-line help, in the order `rollready --help` lists them.

This table is all `rollready --help` reads: a command's module (scanner/cli/<name>_cmd.py, with its
DESCRIPTION and register(parser)), and the libraries it needs (pypsrp, requests, WeasyPrint, rich,
the engine), are imported only when that command runs.
"""
from __future__ import annotations

COMMANDS: dict[str, str] = {  # name: one-line help
    "scan": "scan a cluster (or every cluster of an inventory) over WinRM and write reports",
    "collect": "collect facts only, or write collector.ps1 for an offline run",
    "evaluate": "evaluate fact files against the rules",
    "report": "render a result document as HTML, PDF, JSON, JUnit XML or CSV",
    "verify": "check a PDF report's signature and evidence digests",
    "diff": "compare two scans (post-upgrade report)",
    "rules": "list, validate, explain and test rules",
    "plan": "the safe way through the upgrade: node order, gates, runbook",
    "watch": "alert at once during mixed mode (dedup owners, node state, overdue mixed mode)",
    "history": "recorded scans: list, show, drift, prune",
    "schedule": "Task Scheduler / systemd / cron entries for unattended scans",
    "demo": "scan a simulated cluster (the lab) end to end and write the reports",
    "lab": "loopback WinRM/PSRP lab serving scenario clusters",
}


def module_of(name: str) -> str:
    """The module that implements a command."""
    return f"scanner.cli.{name}_cmd"
