"""Collection: the per-node PowerShell collector, its transport, and concurrent scans.

The collector is package data, read as bytes and sent unchanged: Python never builds PowerShell.
"""
from __future__ import annotations

import functools
from importlib import resources

COLLECTOR_VERSION = "1"
COLLECTOR_MARKER = f"# rollready-collector-version: {COLLECTOR_VERSION}"


@functools.cache
def collector_script() -> str:
    """The text of collector.ps1 exactly as shipped (read once per process: every node is sent it)."""
    return resources.files(__package__).joinpath("collector.ps1").read_text(encoding="utf-8")
