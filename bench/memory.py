"""Peak memory of `rollready evaluate` with a PDF report, N synthetic nodes, the shipped rule pack.

    .venv/bin/python bench/memory.py [--nodes 1000] [--rules PATH]

Target (issue #14): under 300 MB peak RSS for 1,000 nodes with --pdf. Each command runs in its own
process (peak RSS from wait4); the reference in the same run is the same evaluation without a report,
and a bare interpreter importing WeasyPrint.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import factory  # noqa: E402

ROLLREADY = [sys.executable, "-m", "scanner"]


def peak(command: list[str]) -> tuple[float, float, int]:
    """Peak RSS in MB, CPU seconds and exit code of one command in its own process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1, 2, 3):
        assert child.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {child.stderr.read().decode()}")
    del started
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rules", action="append", help="rule files instead of the shipped pack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp) / "facts.json"
        facts.write_text(json.dumps(factory.facts([factory.node(f"N{i:04d}") for i in range(args.nodes)])))
        rules = [a for path in args.rules or [] for a in ("--rules", path)]
        base = [*ROLLREADY, "evaluate", str(facts), "--phase", "pre", "--target-os", "2016", *rules,
                "--format", "json", "--out", str(Path(tmp) / "findings.json")]
        runs = {
            "python -c 'import weasyprint'": [sys.executable, "-c", "import weasyprint"],
            "evaluate (no report)": base,
            "evaluate --pdf": [*base, "--pdf", str(Path(tmp) / "report.pdf")],
        }
        print(f"{args.nodes} nodes, facts {facts.stat().st_size / 1e6:.1f} MB, load average {os.getloadavg()[0]:.1f}")
        print(f"{'command':<32} {'peak RSS MB':>11} {'CPU s':>7}")
        for name, command in runs.items():
            rss, cpu, _ = peak(command)
            print(f"{name:<32} {rss:>11.0f} {cpu:>7.2f}")
        pdf = Path(tmp) / "report.pdf"
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        print(next((line for line in pages.splitlines() if line.startswith("Pages:")), "Pages: ?"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
