"""PDF rendering with WeasyPrint: print CSS, evidence files attached, PDF/A-3b on request.

Imported only when a PDF is asked for: loading WeasyPrint (pango, harfbuzz) costs about a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import weasyprint
from weasyprint.urls import URLFetcher

from scanner.errors import RollreadyError
from scanner.gcpause import paused_gc
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


def layout(html: str, **options: object) -> weasyprint.Document:
    """Lay html out for print. A character no installed font can draw is laid out as its code point
    (scanner/report/glyphs.py), never a box.

    The cyclic garbage collector is paused meanwhile: layout builds hundreds of thousands of boxes
    and styles, and each collection it triggers walks all of them again (a fifth of the render CPU of
    a 24-page report). Reference counting still frees what layout drops; the cycles it leaves are
    collected once it is done (peak RSS at 1,000 nodes measured the same, see BENCHMARKS.md)."""
    with paused_gc():  # boxes may form cycles: never frozen
        return weasyprint.HTML(string=printable(html), url_fetcher=_NoFetch()).render(**options)


def render_pdf(html: str, *, attachments: list[Attached], pdfa: bool) -> bytes:
    """Lay out html for print and return the PDF bytes (PDF/A-3b when pdfa)."""
    fetcher = _NoFetch()
    files = [
        weasyprint.Attachment(string=a.data, name=a.name, description=a.description,
                              relationship=a.relationship, url_fetcher=fetcher)
        for a in attachments
    ]
    options: dict[str, object] = {"attachments": files}
    if pdfa:
        options["pdf_variant"] = "pdf/a-3b"
    # The options go to both steps, as HTML.write_pdf does: a PDF variant also sets render options.
    data = layout(html, **options).write_pdf(**options)
    assert isinstance(data, bytes)
    return data
