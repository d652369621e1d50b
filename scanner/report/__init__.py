"""Reports of a result document: HTML, PDF (PDF/A-3b), JSON, JUnit XML, CSV, and the scan diff."""
from scanner.report.writer import FORMATS, ReportError, write_reports

__all__ = ["FORMATS", "ReportError", "write_reports"]
