"""PDF/A stays true with text from anywhere (issue #11 §6): what a font draws is drawn, the rest is
its code point, never a missing-glyph box; the JSON attachments keep the original text."""
import json
import subprocess

from report_synthetic import result_document

from scanner.report import write_reports
from scanner.report.glyphs import drawable, printable

NO_FONT = "\U0001f9a0"  # MICROBE: in no font shipped by Debian's DejaVu or Noto CJK packages
WORLD = f" 中文驱动 한국어 제품 😀 {NO_FONT} "


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_printable_keeps_what_a_font_draws_and_names_the_rest() -> None:
    covered = drawable()
    assert covered is not None and ord("é") in covered
    text = printable(f"Sophos é{WORLD}")
    assert NO_FONT not in text and "[U+1F9A0]" in text
    for ch in "中한😀":
        assert (ch in text) == (ord(ch) in covered) and (f"[U+{ord(ch):04X}]" in text) == (ord(ch) not in covered)
    assert all(ord(c) < 128 or ord(c) in covered for c in text)  # nothing left to draw as a box


def test_the_pdf_draws_or_names_every_character_and_attaches_the_original(tmp_path) -> None:
    result, facts = result_document(2, 3, fail_rate=0.5, text=WORLD, waived=0)
    path = tmp_path / "r.pdf"
    write_reports(result, facts, pdf=path, pdfa=True)
    assert "pdfaid" in run("pdfinfo", "-meta", str(path))
    text = run("pdftotext", str(path), "-")
    assert "[U+1F9A0]" in text and NO_FONT not in text
    covered = drawable() or frozenset()
    if ord("中") in covered:  # fonts-noto-cjk (scripts/bootstrap.sh): written as the server sent it
        assert "中文驱动" in text and "한국어" in text
    run("pdfdetach", "-saveall", "-o", str(tmp_path), str(path))
    attached = json.loads((tmp_path / "facts.json").read_text(encoding="utf-8"))
    assert NO_FONT in json.dumps(attached, ensure_ascii=False)  # the evidence keeps the original
