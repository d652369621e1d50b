"""PDF checks with poppler-utils (pdfinfo, pdftotext, pdfdetach, pdftohtml): two renders in all."""
import hashlib
import re
import subprocess

import pytest

from report_synthetic import result_document
from report_synthetic import HOSTILE, LONG

from scanner.report import write_reports


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    result, facts = result_document(4, 8, unreachable=(2,), fail_rate=0.2)
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_reports(result, facts, pdf=path)
    return path, result, facts


def test_metadata_and_pdfa_identification(pdf):
    path, result, _ = pdf
    info = run("pdfinfo", str(path))
    assert "Title:           Rolling upgrade readiness: FSCLUSTER1 (pre)" in info
    assert f"Verdict: {result['verdict']['status']}" in info  # Subject
    assert re.search(r"Keywords: .*rolling upgrade.*FSCLUSTER1", info)
    assert "Creator:         rollready 0.1.0" in info
    meta = run("pdfinfo", "-meta", str(path))
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta


def test_attachments_match_the_digests_printed(pdf, tmp_path):
    path, result, facts = pdf
    assert run("pdfdetach", "-list", str(path)).split("\n")[1:3] == ["1: facts.json", "2: findings.json"]
    run("pdfdetach", "-saveall", "-o", str(tmp_path), str(path))
    text = re.sub(r"\s+", "", run("pdftotext", str(path), "-"))
    facts_out = (tmp_path / "facts.json").read_bytes()
    assert facts_out == facts
    for name in ("facts.json", "findings.json"):
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert digest in text, name
    assert hashlib.sha256(facts_out).hexdigest() == result["facts_sha256"]


def test_cover_header_footer_and_bookmarks(pdf):
    path, result, _ = pdf
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))
    cover = run("pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-")
    assert result["verdict"]["status"] in cover and result["verdict"]["reason"] in cover
    assert "Reviewer" in cover and "Decision" in cover and "Signature" in cover
    assert f"page 1 of {pages}" in cover
    second = run("pdftotext", "-f", "2", "-l", "2", str(path), "-")
    assert "rollready · FSCLUSTER1 · phase pre" in second and f"page 2 of {pages}" in second
    outline = run("pdftohtml", "-xml", "-i", "-stdout", "-q", str(path))
    items = re.findall(r'<item page="\d+">([^<]*)</item>', outline)
    for title in ("Summary", "Node × area matrix", "Failing findings", "Could not be checked",
                  "Provenance, scope and evidence files", "Waivers", "Attestations",
                  "Passed checks and their evidence", f"Verdict: {result['verdict']['status']}"):
        assert title in items


def test_hostile_strings_stay_inert_in_print(tmp_path):
    result, facts = result_document(2, 3, fail_rate=0.5, text=HOSTILE + LONG, waived=0)
    path = tmp_path / "h.pdf"
    write_reports(result, facts, pdf=path, pdfa=False)
    info = run("pdfinfo", str(path))
    # 10 KB strings are cut at 4,000 characters (real messages stop at 2,000), so a hostile document
    # stays bounded: ~20 pages with 10 KB in every single string of it
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 24
    text = run("pdftotext", str(path), "-")
    assert "<script>alert(1)</script>" in text and "{{ 7*7 }}" in text
    assert "\u202e" not in text and "U+202E" in text
    assert "pdfaid" not in run("pdfinfo", "-meta", str(path))


def test_contents_page_numbers_are_the_pages_the_sections_start_on(pdf):
    """The contents page's numbers (target-counter) point at the page each section's heading is on."""
    path, _, _ = pdf
    pages = run("pdftotext", "-layout", str(path), "-").split("\f")
    listed = dict(re.findall(r"^\s*(\S[^.\n]*?)\s*\.{3,}\s*(\d+)\s*$", pages[0], re.M))
    assert {"Summary", "Failing findings", "Could not be checked", "All rules"} <= set(listed)
    for title, number in listed.items():
        assert re.search(rf"^\s*{re.escape(title)}\s*$", pages[int(number) - 1], re.M), (title, number)


def test_matrix_cells_keep_each_count_with_its_symbol(pdf):
    """A cell's counts wrap between counts, never between a symbol and its number ("!" allows a break)."""
    path, result, _ = pdf
    text = run("pdftotext", "-layout", str(path), "-")
    start = text.index("Each cell counts findings by status")
    matrix = text[start:text.index("Failing findings", start)]
    assert re.search(r"[✗?!✎w✓–]\d", matrix)
    assert not re.search(r"[✗?!✎w✓–]\s*\n", matrix)  # no symbol left alone at the end of a line
