"""Reports of a result document: HTML, PDF (PDF/A-3b), JSON, JUnit XML, CSV, and the scan diff."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.report.writer import FORMATS, ReportError, write_reports

__all__ = ["FORMATS", "ReportError", "write_reports"]


def __getattr__(name: str) -> object:
    """From scanner.report.writer when first used: importing a light submodule (signing, text) must
    not load Jinja2 and the renderers."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("scanner.report.writer"), name)
