"""PDF rendering with WeasyPrint: print CSS, evidence files attached, PDF/A-3b on request.

Imported only when a PDF is asked for: loading WeasyPrint (pango, harfbuzz) costs about a second.
"""
from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import weasyprint
from weasyprint.formatting_structure import boxes
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

    Rows are kept whole (`tr { break-inside: avoid }`), but a row taller than a page cannot be: WeasyPrint
    then pushes it to the next page before breaking it anyway, which strands the heading and legend
    above it at the foot of a page. So when the first layout has such a row (or one nearly as tall:
    BIG_ROW), it is marked `tall` (print.css lets it break, and names it in the top margin of each page
    it continues on) and the document is laid out again. Rows with a cell of more than SURELY_TALL
    characters are marked before the first layout; documents without other tall rows are laid out once.

    The cyclic garbage collector is paused meanwhile: layout builds hundreds of thousands of boxes
    and styles, and each collection it triggers walks all of them again (a fifth of the render CPU of
    a 24-page report). Reference counting still frees what layout drops; the cycles it leaves are
    collected once it is done (peak RSS at 1,000 nodes measured the same, see BENCHMARKS.md)."""
    source = weasyprint.HTML(string=printable(html), url_fetcher=_NoFetch())
    for row in source.etree_element.iter("tr"):  # surely tall: no need to lay out twice to find them
        longest = max(row, key=_text_length, default=None)
        if longest is not None and _text_length(longest) > SURELY_TALL:
            _mark_tall(row, longest)
    with paused_gc():  # boxes may form cycles: never frozen
        document = source.render(**options)
    tall = [(row, longest) for row, longest in rows_over_a_page(document) if "tall" not in _classes(row)]
    if not tall:
        return document
    del document
    gc.collect()  # the first layout's box cycles, before the second builds as many
    for row, longest in tall:
        _mark_tall(row, longest)
    with paused_gc():
        return source.render(**options)


# A row taller than this share of a page may break too: kept whole, it would not fit on a fresh page
# under its section's heading and legend (kept with the table's first row), leaving them on a page alone.
BIG_ROW = 0.6
# A cell with more characters than this is taller than BIG_ROW of a page in any column (no table
# column is wider than ~80% of the page: at most ~110 characters a line of the smallest table text,
# so over 50 lines): its row is marked before the first layout.
SURELY_TALL = 6000


def _text_length(element: Any) -> int:
    return sum(len(text) for text in element.itertext())


def _classes(element: Any) -> list[str]:
    return str(element.get("class") or "").split()


def _mark_tall(row: Any, longest: Any) -> None:
    """Let row break across pages (print.css `tr.tall`), named on the pages it continues on."""
    row.set("class", " ".join([*_classes(row), "tall"]))
    if not row.get("data-cont"):
        row.set("data-cont", _first_cell_text(row))
    # Where the row ends: after its longest cell, which clears the running "continued" name.
    ElementTree.SubElement(longest, "div", {"class": "row-end"})


# A row taller than this share of a page may break too: kept whole, it would not fit on a fresh page
# under its section's heading and legend (kept with the table's first row), leaving them on a page alone.
BIG_ROW = 0.6


def rows_over_a_page(document: weasyprint.Document) -> list[tuple[Any, Any]]:
    """The body rows laid out on more than one page, or taller than BIG_ROW of a page, in document
    order, each with its longest cell (HTML elements).

    Only the box tree above the rows is walked (the cells of rows on one page are not entered): a few
    milliseconds for a 50-page report. Header and footer rows repeat on every page by design."""
    fragments: dict[Any, list[Any]] = {}
    pages: dict[Any, set[int]] = {}
    big = 0.0
    for number, page in enumerate(document.pages):
        stack: list[Any] = [page._page_box]  # the laid-out boxes (not public in WeasyPrint 70: the tests cover it)
        big = max(big, BIG_ROW * page._page_box.height)
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.TableRowBox):
                if box.element is not None:
                    fragments.setdefault(box.element, []).append(box)
                    pages.setdefault(box.element, set()).add(number)
            elif isinstance(box, boxes.TableRowGroupBox) and (box.is_header or box.is_footer):
                continue
            elif isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.LineBox):
                stack.extend(box.children)
    tall = []
    for row, parts in fragments.items():
        if len(pages[row]) > 1 or parts[0].margin_height() > big:
            height: dict[Any, float] = {}
            for part in parts:
                for cell in part.children:
                    height[cell.element] = height.get(cell.element, 0) + sum(c.margin_height() for c in cell.children)
            tall.append((row, max(height, key=lambda cell: height[cell])))
    return tall


_SPACES = re.compile(r"\s+")


def _first_cell_text(row: Any) -> str:
    """What names a row whose template gave it no `data-cont`: its first cell's text, shortened."""
    cell = next(iter(row), None)
    text = _SPACES.sub(" ", " ".join(cell.itertext())).strip() if cell is not None else ""
    return text if len(text) <= 120 else text[:120] + "…"


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
