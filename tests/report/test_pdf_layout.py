"""scanner.report.pdf.layout: the collector paused during layout only, and restored as it was."""
import gc

import pytest
import weasyprint

from scanner.report import pdf


@pytest.mark.parametrize("enabled", [True, False])
def test_layout_pauses_the_collector_and_restores_it(monkeypatch, enabled: bool) -> None:
    seen = []
    real = weasyprint.HTML.render

    def render(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", render)
    (gc.enable if enabled else gc.disable)()
    try:
        doc = pdf.layout("<p>one page</p>")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [False] and len(doc.pages) == 1


def test_layout_restores_the_collector_when_layout_fails(monkeypatch) -> None:
    def broken(self, *args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.HTML, "render", broken)
    with pytest.raises(RuntimeError):
        pdf.layout("<p>x</p>")
    assert gc.isenabled()
