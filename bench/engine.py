"""Engine benchmark: N rules x M synthetic nodes, evaluated on one core.

Target (issue 2): 200 rules x 1,000 nodes in < 1 s, growing linearly in nodes x rules.
Run: .venv/bin/python bench/engine.py [--quick]
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import factory  # noqa: E402

from scanner.engine.catalogs import load_catalogs  # noqa: E402
from scanner.engine.evaluate import evaluate_pack  # noqa: E402
from scanner.engine.loader import load_rules  # noqa: E402
from scanner.engine.run import evaluate_facts  # noqa: E402
from scanner.engine.verdict import decide  # noqa: E402
from scanner.facts import build_view, check_facts, collection_gaps  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)

# Node-scope rule shapes that exercise the operators a real pack uses.
SHAPES = [
    {"fact": "node.os.version", "version_ge": "6.3.9600"},
    {"fact": "node.wmi.mscluster.ok", "equals": True},
    {"some": "node.hotfixes", "as": "h", "that": {"fact": "h.installed_on", "within_days": 60}},
    {"every": "node.drivers", "as": "d", "that": {"fact": "d.signed", "equals": True}},
    {"all": [{"fact": "node.odx_mode", "in": [0, 1]}, {"fact": "node.ntfs_disable_8dot3", "ge": 1}]},
    {"fact": "node.os.caption", "matches": "Windows Server"},
    {"any": [{"fact": "node.os.full_version", "version_ge": "10.0.14393.726"},
             {"fact": "node.features", "contains": "FS-Data-Deduplication"}]},
    {"count": "node.products", "as": "p", "that": {"fact": "p.name", "matches": "^Veeam"}, "le": 2},
]


def synthetic_rules(n: int, folder: Path) -> Path:
    rules = []
    for i in range(n):
        rules.append({
            "id": f"BENCH-{i:04d}", "title": f"Synthetic rule {i}", "severity": ["critical", "high", "medium", "low"][i % 4],
            "phases": ["pre"], "scope": "node", "area": "health", "check": copy.deepcopy(SHAPES[i % len(SHAPES)]),
            "message": "{{ node.name }} failed rule " + str(i), "remediation": "Fix it.",
            "references": ["https://example.invalid"],
        })
    path = folder / f"bench-{n}.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}))
    return path


def synthetic_facts(nodes: int) -> dict:
    doc = factory.facts([factory.node(f"N{i:04d}") for i in range(nodes)])
    return check_facts(doc)


def measure(rules: int, nodes: int, folder: Path, repeat: int = 3) -> tuple[float, float, int]:
    """Best of `repeat`: the engine (facts view + findings + verdict), and the whole result document."""
    pack = load_rules([synthetic_rules(rules, folder)])
    catalogs = load_catalogs()
    doc = synthetic_facts(nodes)
    params = {"phase": "pre", "target_os": "2016", "source_os": "2012R2"}
    engine = full = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        findings = evaluate_pack(pack, build_view(doc), params, catalogs, NOW)
        decide(findings, collection_gaps(doc))
        engine = min(engine, time.perf_counter() - start)
        count = len(findings)
        del findings
        start = time.perf_counter()
        evaluate_facts(doc, pack, catalogs, phase="pre", target_os="2016", now=NOW)
        full = min(full, time.perf_counter() - start)
    return engine, full, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller grid (for a smoke run)")
    args = parser.parse_args()
    grid = [(50, 250), (200, 250)] if args.quick else [(50, 1000), (100, 1000), (200, 250), (200, 500), (200, 1000)]
    print(f"{'rules':>6} {'nodes':>6} {'findings':>9} {'engine s':>9} {'us/finding':>11} {'with result doc s':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for rules, nodes in grid:
            engine, full, findings = measure(rules, nodes, Path(tmp))
            print(f"{rules:>6} {nodes:>6} {findings:>9} {engine:>9.3f} {engine / findings * 1e6:>11.2f} {full:>18.3f}")


if __name__ == "__main__":
    main()
