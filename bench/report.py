"""Report benchmark: a 64-node, 60-rule result rendered as HTML and as PDF/A-3b, against a bare
WeasyPrint table of the same page count rendered in the same run (so machine speed cancels out).

    .venv/bin/python bench/report.py [--nodes 64] [--rules 60] [--runs 3] [--write FILE]  (results go in BENCHMARKS.md)
"""
from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "report"))

import weasyprint  # noqa: E402
from report_synthetic import result_document  # noqa: E402

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


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def baseline(pages: int, runs: int) -> tuple[float, int, int]:
    """Seconds, pages and rows of a bare table calibrated to the report's page count."""
    rows = pages * 40
    for _ in range(4):
        got = len(weasyprint.HTML(string=bare_table(rows)).render().pages)
        if got == pages:
            break
        rows = max(1, round(rows * pages / got))
    seconds, pdf = timed(lambda: weasyprint.HTML(string=bare_table(rows)).write_pdf(), runs)
    return seconds, pages_of(pdf), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=64)
    ap.add_argument("--rules", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", metavar="FILE", help="also write the results as markdown")
    args = ap.parse_args()

    result, facts = result_document(args.nodes, args.rules, unreachable=(7, 40))
    render_html(result, facts)  # warm: template compilation is a one-off
    html_s, html = timed(lambda: render_html(result, facts), max(args.runs, 5))
    pdf_s, pdf = timed(lambda: render_pdf(result, facts, pdfa=True), args.runs)
    pages = pages_of(pdf)
    base_s, base_pages, base_rows = baseline(pages, args.runs)
    counts: dict[str, int] = {}
    for f in result["findings"]:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    lines = [
        "# Report benchmark",
        "",
        f"Command: `.venv/bin/python bench/report.py --nodes {args.nodes} --rules {args.rules} --runs {args.runs}`",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"median of {args.runs} runs (HTML: {max(args.runs, 5)}).",
        "",
        f"Document: {args.nodes} nodes x {args.rules} rules = {len(result['findings'])} findings "
        f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}); 2 nodes unreachable.",
        "",
        "| output | pages | seconds | seconds per page | budget |",
        "|---|---:|---:|---:|---|",
        f"| HTML (screen, {len(html) // 1024} KiB) | - | {html_s:.3f} | - | < 0.5 s |",
        f"| PDF/A-3b report, 2 attachments | {pages} | {pdf_s:.2f} | {pdf_s / pages:.3f} | <= 25 pages, < 10 s |",
        f"| bare WeasyPrint table ({base_rows} rows) | {base_pages} | {base_s:.2f} | {base_s / base_pages:.3f} | reference |",
        "",
        f"Cost per page of the report vs the bare table: {pdf_s / pages / (base_s / base_pages):.2f}x.",
        "Passes are counted (node x area matrix, one line per rule); failing findings are listed in full, and",
        "findings that could not be checked are listed with subjects sharing a reason merged into one row.",
    ]
    lines += ["", "How pages grow with the number of failing findings (one run each):", "",
              "| failing findings | pages | PDF seconds |", "|---:|---:|---:|"]
    for rate in (0.08, 0.15):
        doc, raw = result_document(args.nodes, args.rules, unreachable=(7, 40), fail_rate=rate)
        seconds, data = timed(lambda: render_pdf(doc, raw, pdfa=True), 1)
        fails = sum(f["status"] == "fail" for f in doc["findings"])
        lines.append(f"| {fails} | {pages_of(data)} | {seconds:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
