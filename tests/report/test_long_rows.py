"""Rows whose content grows with the cluster: a row taller than a page breaks where it stands (its
heading stays with it) and each page it continues on names it; passing subjects are counted past a
few, failing and unchecked ones are always named in full."""
from __future__ import annotations

import subprocess
from typing import Any

import pytest
from report_synthetic import _finding, result_document

from scanner import paths
from scanner.report import pdf
from scanner.report.context import NAMED, _matrix, _pass_evidence
from scanner.report.writer import render_pdf

SUBJECTS = 1200
CSS = (paths.TEMPLATES_DIR / "report.css").read_text() + (paths.TEMPLATES_DIR / "print.css").read_text()


def page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout.split("\f")


def first_page(pages: list[str], text: str, after: int = 0) -> int:
    return next(i for i, page in enumerate(pages) if i >= after and text in page)


def test_a_row_taller_than_a_page_starts_under_its_heading_and_is_named_where_it_continues(tmp_path) -> None:
    """The heading sits low on page 1 and the table's first row is two pages tall: kept whole, the row
    went to page 2 and left the heading and legend alone at the foot of page 1."""
    tall = "".join(f"<p>tall line {i:03d}</p>" for i in range(150))
    rows = [f'<tr data-cont="R0 on S0"><td>R0</td><td>{tall}</td></tr>']
    rows += [f"<tr><td>R{i}</td><td>{''.join(f'<p>r{i} line {k}</p>' for k in range(8))}</td></tr>" for i in range(1, 40)]
    html = (f'<html><head><style>{CSS}</style></head><body class="print"><div style="height: 200mm"></div>'
            f'<h1>Heading</h1><p class="legend">The legend.</p><table><thead><tr><th>Rule</th><th>Lines</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table><p>After the table.</p></body></html>')
    pages = page_texts(pdf.layout(html).write_pdf(), tmp_path)
    assert first_page(pages, "Heading") == first_page(pages, "tall line 000") == 0
    last = first_page(pages, "tall line 149")
    assert last >= 2  # it did break, over more than one page
    for page in range(1, last + 1):
        assert "continued: R0 on S0" in pages[page]
    assert "continued" not in pages[0] and all("continued" not in p for p in pages[last + 1:])
    for i in range(1, 40):  # ordinary rows stay whole
        assert first_page(pages, f"r{i} line 0") == first_page(pages, f"r{i} line 7"), i


def test_a_document_without_tall_rows_is_laid_out_once(monkeypatch) -> None:
    import weasyprint

    calls = []
    real = weasyprint.HTML.render
    monkeypatch.setattr(weasyprint.HTML, "render", lambda self, **kw: calls.append(1) or real(self, **kw))
    pdf.layout(f"<style>{CSS}</style><table><tbody><tr><td>one</td></tr></tbody></table>")
    assert calls == [1]


def test_a_row_with_a_cell_too_long_for_any_page_is_laid_out_once_and_still_breaks(monkeypatch, tmp_path) -> None:
    import weasyprint

    calls = []
    real = weasyprint.HTML.render
    monkeypatch.setattr(weasyprint.HTML, "render", lambda self, **kw: calls.append(1) or real(self, **kw))
    names = ", ".join(f"NODE{i:04d}" for i in range(pdf.SURELY_TALL // 9 + 1))
    html = (f'<style>{CSS}</style><body class="print"><h1>Heading</h1><table><tbody><tr data-cont="Owners">'
            f'<td>Owners</td><td>{names}</td></tr><tr><td>Next</td><td>row</td></tr></tbody></table></body>')
    pages = page_texts(pdf.layout(html).write_pdf(), tmp_path)
    assert calls == [1]
    assert len(pages) > 2 and "continued: Owners" in pages[1] and "NODE0000" in pages[0]


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> tuple[dict[str, Any], list[str]]:
    """A small report plus a passing cluster rule that read 300 facts (its row is about three pages)
    and an unchecked rule on 1,200 subjects sharing one reason (one row naming them all: 8,400
    characters, which the report used to cut at 4,000)."""
    result, raw = result_document(4, 8)
    rule = {"id": "A-000", "title": "Reads many facts", "severity": "high", "scope": "cluster", "area": "cluster",
            "fact": "fact.n"}
    passing = _finding(rule, "FSCLUSTER1", None, "pass", "")
    passing["evidence"] = [{"fact": f"fact.n{i:03d}", "op": "equals", "expected": 1, "actual": 1, "result": "true"}
                           for i in range(300)]
    unchecked = [_finding({**rule, "id": "A-001", "title": "Unknown on many", "scope": "volume"}, f"S{i:04d}",
                          None, "unknown", "") for i in range(SUBJECTS)]
    for f in unchecked:
        f["detail"] = "fact.n was not collected"  # one reason: one row
    result["findings"] += [passing, *unchecked]
    return result, page_texts(render_pdf(result, raw, pdfa=False), tmp_path_factory.mktemp("grown"))


@pytest.mark.slow
def test_passed_checks_heading_is_on_the_page_where_its_tall_first_row_starts(grown) -> None:
    _, pages = grown
    heading = first_page(pages, "Passed checks and their evidence", after=1)  # page 1 is the contents
    assert first_page(pages, "fact.n000 equals") == heading
    last = first_page(pages, "fact.n299 equals")
    assert last > heading
    assert all("continued: A-000 passed" in pages[p] for p in range(heading + 1, last + 1))
    assert "continued: A-000" not in pages[heading] and "continued: A-000" not in pages[last + 1]


@pytest.mark.slow
def test_every_unchecked_subject_is_named_however_many(grown) -> None:
    _, pages = grown
    text = "".join(pages)
    text = text[text.index("Could not be checked\n"):text.index("Waived findings")]  # not the contents
    missing = [f"S{i:04d}" for i in range(SUBJECTS) if f"S{i:04d}" not in text]
    assert not missing and "more characters in findings.json" not in text
    assert any("continued: A-001 unknown" in page for page in pages)


def _pass(rule: str, subject: str, node: str | None, *evidence: tuple[str, Any]) -> dict[str, Any]:
    f = _finding({"id": rule, "title": rule, "severity": "high", "scope": "node", "area": "os", "fact": "x"},
                 subject, node, "pass", "")
    f["evidence"] = [{"fact": fact, "op": "equals", "expected": "Up", "actual": actual, "result": "true"}
                     for fact, actual in evidence]
    return f


def test_passing_nodes_past_the_limit_are_counted_exactly() -> None:
    nodes = [f"N{i:02d}" for i in range(40)]
    [(_, lines)] = _pass_evidence([_pass("R1", n, n, ("node.state", "Down" if n in ("N03", "N07") else "Up"))
                                   for n in nodes])
    assert [(line.actual, line.subjects if not line.on else None, line.on) for line in lines] == [
        ("Down", ["N03", "N07"], ""), ("Up", None, "the other 38 passing nodes")]
    [(_, [line])] = _pass_evidence([_pass("R1", n, n, ("node.state", "Up")) for n in nodes])
    assert line.on == "all 40 passing nodes"
    few = nodes[:NAMED]
    [(_, [line])] = _pass_evidence([_pass("R1", n, n, ("node.state", "Up")) for n in few])
    assert line.on == "" and line.subjects == few


def test_a_fact_read_through_a_loop_is_one_line_with_its_elements() -> None:
    members = [f"N{i:02d}" for i in range(30)]
    [(_, lines)] = _pass_evidence([_pass("R2", "FSCLUSTER1", None, *[(f"member[{m}].state", "Up") for m in members])])
    assert [(line.fact, line.subjects, line.each) for line in lines] == [("member[*].state", ["FSCLUSTER1"], "all 30 read")]
    [(_, lines)] = _pass_evidence([_pass("R2", "FSCLUSTER1", None, *[(f"member[{m}].state", "Up") for m in members[:3]])])
    assert [(line.fact, line.elements, line.each) for line in lines] == [("member[*].state", members[:3], "")]


def test_only_a_clean_matrix_row_counts_its_alike_nodes() -> None:
    """Nodes whose row has a failing count are always named; the healthy majority is counted."""
    result, _ = result_document(60, 4, fail_rate=0.0, waived=0)
    sick = [n["name"] for n in result["cluster"]["nodes"][:30]]
    for f in result["findings"]:
        f["status"] = "fail" if f["node"] in sick and f["scope"] == "node" else "pass"
    rows = _matrix(result)["rows"]
    counted = [r for r in rows if r.alike_counted]
    assert len(counted) == 1 and not set(counted[0].alike) & set(sick)
    assert all(not r.alike_counted for r in rows if set(r.alike) & set(sick))
