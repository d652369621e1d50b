"""Report benchmark: a 64-node, 60-rule result rendered as HTML and as PDF/A-3b, against a bare
WeasyPrint table of the same page count rendered in the same run (so machine speed cancels out).

    .venv/bin/python bench/report.py [--nodes 64] [--rules 60] [--runs 3] [--write FILE]  (results go in BENCHMARKS.md)

The figure to read is the render CPU per page (issue #14: <= 1.2x the bare table): CPU seconds of
this process (time.process_time) in WeasyPrint's HTML(...).render() - parsing, style cascade and
layout, where the pages' content costs - best of --runs, the report and the bare table measured
alternately, so a loaded machine moves both alike. Writing the PDF (fonts, attachments, PDF/A) is
reported beside it, and the whole render_pdf, all as CPU seconds.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "report"))

import weasyprint  # noqa: E402
from report_synthetic import result_document  # noqa: E402

from scanner.report.glyphs import printable  # noqa: E402
from scanner.report.pdf import layout  # noqa: E402
from scanner.report.writer import render_html, render_pdf  # noqa: E402


def pages_of(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def bare_table(rows: int) -> str:
    """The cheapest report imaginable: one table, four plain columns, default styles."""
    body = "".join(f"<tr><td>R{i % 60:03d}</td><td>NODE{i % 64:02d}</td><td>pass</td>"
                   f"<td>Synthetic check number {i} evaluated on this subject</td></tr>" for i in range(rows))
    return (f"<html><head><style>@page {{ size: A4; margin: 15mm }} table {{ width: 100% }}</style></head>"
            f"<body><table><thead><tr><th>Rule</th><th>Node</th><th>Status</th><th>Message</th></tr></thead>"
            f"<tbody>{body}</tbody></table></body></html>")


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of this process spent in fn, and what it returned."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def bare_rows(pages: int) -> int:
    """Rows of the bare table that lay out in `pages` pages (or as near as rows allow)."""
    rows = pages * 40
    for _ in range(6):
        got = len(weasyprint.HTML(string=bare_table(rows)).render().pages)
        if got == pages:
            break
        rows = max(1, round(rows * pages / got))
    return rows


def render_cpu(documents: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """Best-of-runs CPU of each layout (a callable returning a weasyprint Document) and of its
    write_pdf(), the documents taken in turn, each from a collected heap (the previous document's
    boxes would otherwise be walked by the garbage collector during the next render, charging one
    document for the other)."""
    best: dict[str, float] = {}
    for _ in range(runs):
        for key, render in documents.items():
            gc.collect()
            seconds, doc = cpu(render)
            best[key] = min(best.get(key, float("inf")), seconds)
            seconds, _ = cpu(doc.write_pdf)
            best[f"{key} write"] = min(best.get(f"{key} write", float("inf")), seconds)
            best[f"{key} pages"] = len(doc.pages)
            del doc
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=64)
    ap.add_argument("--rules", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", metavar="FILE", help="also write the results as markdown")
    args = ap.parse_args()

    result, facts = result_document(args.nodes, args.rules, unreachable=(7, 40))
    render_html(result, facts)  # warm: template compilation is a one-off
    html_times = []
    for _ in range(max(args.runs, 5)):
        seconds, html = cpu(lambda: render_html(result, facts))
        html_times.append(seconds)
    pdf_s, pdf = min((cpu(lambda: render_pdf(result, facts, pdfa=True)) for _ in range(args.runs)),
                     key=lambda run: run[0])
    pages = pages_of(pdf)
    rows = bare_rows(pages)
    report_html, bare_html = render_html(result, facts, medium="print"), bare_table(rows)
    m = render_cpu({
        "report": lambda: layout(report_html),  # as rollready lays it out (scanner/report/pdf.py)
        "report, plain render()": lambda: weasyprint.HTML(string=printable(report_html)).render(),
        "bare": lambda: weasyprint.HTML(string=bare_html).render(),
    }, args.runs)
    per_page = m["report"] / m["report pages"]
    plain_per_page = m["report, plain render()"] / m["report, plain render() pages"]
    bare_per_page = m["bare"] / m["bare pages"]
    counts: dict[str, int] = {}
    for f in result["findings"]:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    load = os.getloadavg()
    lines = [
        "# Report benchmark",
        "",
        f"Command: `.venv/bin/python bench/report.py --nodes {args.nodes} --rules {args.rules} --runs {args.runs}`",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; CPU seconds, best of {args.runs}.",
        "",
        f"Document: {args.nodes} nodes x {args.rules} rules = {len(result['findings'])} findings "
        f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}); 2 nodes unreachable.",
        "",
        "| output | pages | render CPU s | per page | write_pdf CPU s | per page |",
        "|---|---:|---:|---:|---:|---:|",
        f"| report, as rollready lays it out (layout(), collector paused) | {m['report pages']:.0f} "
        f"| {m['report']:.2f} | {per_page:.3f} | {m['report write']:.2f} | {m['report write'] / m['report pages']:.3f} |",
        f"| report, plain HTML(...).render() | {m['report pages']:.0f} | {m['report, plain render()']:.2f} "
        f"| {plain_per_page:.3f} | - | - |",
        f"| bare WeasyPrint table ({rows} rows) | {m['bare pages']:.0f} | {m['bare']:.2f} | {bare_per_page:.3f} "
        f"| {m['bare write']:.2f} | {m['bare write'] / m['bare pages']:.3f} |",
        "",
        f"Render CPU per page, report / bare table: **{per_page / bare_per_page:.2f}x** (goal <= 1.2x); "
        f"the report's content alone (both plain render(), collector on): {plain_per_page / bare_per_page:.2f}x.",
        f"render_pdf (HTML, layout, PDF/A-3b with 2 attachments): {pdf_s:.2f} s CPU for {pages} pages "
        f"(budget: <= 25 pages, < 10 s). HTML for the screen ({len(html) // 1024} KiB): "
        f"{statistics.median(html_times):.3f} s CPU (budget < 0.5 s).",
    ]
    lines += ["", "How pages grow with the number of failing findings (one run each):", "",
              "| failing findings | pages | render_pdf CPU s |", "|---:|---:|---:|"]
    for rate in (0.08, 0.15):
        doc, raw = result_document(args.nodes, args.rules, unreachable=(7, 40), fail_rate=rate)
        seconds, data = cpu(lambda doc=doc, raw=raw: render_pdf(doc, raw, pdfa=True))
        fails = sum(f["status"] == "fail" for f in doc["findings"])
        lines.append(f"| {fails} | {pages_of(data)} | {seconds:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
