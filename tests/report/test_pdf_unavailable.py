"""A host without WeasyPrint's system libraries (a Windows management server without Pango)."""
from __future__ import annotations

import importlib.abc
import sys

import pytest

from scanner import exitcodes
from scanner.cli import main
from scanner.paths import EXAMPLES_DIR


class NoPango(importlib.abc.MetaPathFinder):
    """Fails `import weasyprint` the way cffi does when libpango is not on the library path."""

    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0': error 0x7e.  Additionally, ctypes.util."
                          "find_library() did not manage to locate a library called 'libpango-1.0-0'")
        return None


@pytest.fixture
def without_pango(monkeypatch):
    for name in [n for n in sys.modules if n.startswith("weasyprint") or n == "scanner.report.pdf"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])


def test_without_pango_the_html_and_json_are_written_and_the_exit_code_says_so(without_pango, tmp_path, capsys):
    html, pdf, out = tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "findings.json"
    code = main(["evaluate", str(EXAMPLES_DIR / "pre-healthy-2012r2.json"), "--phase", "pre", "--target-os", "2016",
                 "--html", str(html), "--pdf", str(pdf), "--out", str(out)])
    assert code == exitcodes.UNAVAILABLE == 69
    assert html.stat().st_size > 1000 and out.exists() and not pdf.exists()
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1
    assert "WeasyPrint cannot load its system libraries" in err[0] and "libpango" in err[0]
    assert "doc.courtbouillon.org/weasyprint" in err[0]
