"""PDF rendering with WeasyPrint: print CSS, evidence files attached, PDF/A-3b on request.

Imported only when a PDF is asked for: loading WeasyPrint (pango, harfbuzz) costs about a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import weasyprint
from weasyprint.urls import URLFetcher

from scanner.errors import RollreadyError
from scanner.report.glyphs import printable


@dataclass(frozen=True)
class Attached:
    """A file embedded in the PDF so the evidence travels with the report."""

    name: str
    data: bytes
    description: str
    relationship: str = "Data"  # PDF/A-3 AFRelationship: Source, Data, Supplement, ...


class _NoFetch(URLFetcher):
    """Reports are self-contained: any URL the document asks for is refused, never requested."""

    def fetch(self, url: str, headers: object = None) -> None:
        raise RollreadyError(f"the report asked for an external resource ({url[:80]}); refused")


def render_pdf(html: str, *, attachments: list[Attached], pdfa: bool) -> bytes:
    """Lay out html for print and return the PDF bytes (PDF/A-3b when pdfa). A character no
    installed font can draw is laid out as its code point (scanner/report/glyphs.py), never a box."""
    html = printable(html)
    fetcher = _NoFetch()
    files = [
        weasyprint.Attachment(string=a.data, name=a.name, description=a.description,
                              relationship=a.relationship, url_fetcher=fetcher)
        for a in attachments
    ]
    options: dict[str, object] = {"attachments": files}
    if pdfa:
        options["pdf_variant"] = "pdf/a-3b"
    data = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(**options)
    assert isinstance(data, bytes)
    return data
