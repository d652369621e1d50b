"""Engine benchmark: N rules x M synthetic nodes, evaluated on one core, against a plain loop.

Targets (issues 2 and 14): 200 rules x 1,000 nodes in < 1 s, growing linearly in nodes x rules,
and at most 4x a hand-written Python loop that answers the same checks over the same facts
(`plain_loop`: one function per rule shape, one (rule, node, status) tuple per finding; no
evidence, no messages, no Finding objects - the floor for any engine in Python).

Times are CPU seconds of this process (time.process_time), best of `--repeat`, the engine and the
plain loop measured alternately in the same run, so a loaded machine moves both alike; the ratio is
the figure to compare. "median" is the median of the per-repeat ratios: on a shared machine the best
of the short plain-loop runs is luckier than the best of the engine's five-times-longer ones.
Run: .venv/bin/python bench/engine.py [--quick] [--repeat N]
"""
from __future__ import annotations

import argparse
import copy
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import factory  # noqa: E402

from scanner.engine.evaluate import evaluate_pack, paused_gc  # noqa: E402
from scanner.engine.run import evaluate_facts  # noqa: E402
from scanner.engine.verdict import decide  # noqa: E402
from scanner.facts.document import check_facts, collection_gaps  # noqa: E402
from scanner.facts.view import FactsView, build_view  # noqa: E402
from scanner.rulefiles import load_catalogs, load_rules  # noqa: E402
from scanner.versions import compare_versions, parse_version  # noqa: E402

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


Check = Callable[[dict[str, Any]], "bool | None"]


def plain_checks(now: datetime) -> list[Check]:
    """SHAPES written by hand as Python functions of one node: True, False or None (unknown)."""
    horizon = now - timedelta(days=60)
    min_version, min_full = parse_version("6.3.9600"), parse_version("10.0.14393.726")
    veeam = re.compile("^Veeam")

    def version_ge(n: dict[str, Any]) -> bool | None:
        v = parse_version((n.get("os") or {}).get("version"))
        return None if v is None or min_version is None else compare_versions(v, min_version) >= 0

    def mscluster_ok(n: dict[str, Any]) -> bool | None:
        ok = ((n.get("wmi") or {}).get("mscluster") or {}).get("ok")
        return None if ok is None else ok is True

    def recent_hotfix(n: dict[str, Any]) -> bool | None:
        hotfixes = n.get("hotfixes")
        if hotfixes is None:
            return None
        return any(datetime.fromisoformat(h["installed_on"]).replace(tzinfo=timezone.utc) >= horizon for h in hotfixes)

    def drivers_signed(n: dict[str, Any]) -> bool | None:
        drivers = n.get("drivers")
        return None if drivers is None else all(d.get("signed") is True for d in drivers)

    def odx_and_8dot3(n: dict[str, Any]) -> bool | None:
        odx, short = n.get("odx_mode"), n.get("ntfs_disable_8dot3")
        if odx is not None and odx not in (0, 1):
            return False
        return None if odx is None or short is None else short >= 1

    def caption(n: dict[str, Any]) -> bool | None:
        text = (n.get("os") or {}).get("caption")
        return None if text is None else "Windows Server" in text

    def full_or_dedup(n: dict[str, Any]) -> bool | None:
        full = parse_version((n.get("os") or {}).get("full_version"))
        if full is not None and min_full is not None and compare_versions(full, min_full) >= 0:
            return True
        features = n.get("features")
        if features is not None and any(f.casefold() == "fs-data-deduplication" for f in features):
            return True
        return None if full is None or features is None else False

    def few_veeam(n: dict[str, Any]) -> bool | None:
        products = n.get("products")
        return None if products is None else sum(1 for p in products if veeam.search(p["name"])) <= 2

    return [version_ge, mscluster_ok, recent_hotfix, drivers_signed, odx_and_8dot3, caption, full_or_dedup, few_veeam]


def plain_loop(view: FactsView, rule_ids: list[str], checks: list[Check]) -> list[tuple[str, str, str]]:
    """The reference: every rule over every node, one tuple per finding."""
    findings = []
    for i, rule_id in enumerate(rule_ids):
        check = checks[i % len(checks)]
        for node in view.nodes:
            r = check(node)
            findings.append((rule_id, node["name"], "unknown" if r is None else "pass" if r else "fail"))
    return findings


def measure(rules: int, nodes: int, folder: Path, repeat: int = 5) -> dict[str, float]:
    """Best of `repeat` CPU seconds: the engine (findings + verdict over a view built once, as a
    run does), the plain loop over the same view, and the whole result document."""
    pack = load_rules([synthetic_rules(rules, folder)])
    catalogs = load_catalogs()
    doc = synthetic_facts(nodes)
    params = {"phase": "pre", "target_os": "2016", "source_os": "2012R2"}
    view = build_view(doc)
    checks = plain_checks(NOW)
    ids = [r.id for r in pack.rules]
    best = {"engine": float("inf"), "plain": float("inf"), "full": float("inf"), "view": float("inf")}
    ratios = []
    count = 0
    for _ in range(repeat):
        start = time.process_time()
        build_view(doc)
        best["view"] = min(best["view"], time.process_time() - start)
        start = time.process_time()
        findings = evaluate_pack(pack, view, params, catalogs, NOW)
        decide(findings, collection_gaps(doc))
        engine = time.process_time() - start
        best["engine"] = min(best["engine"], engine)
        start = time.process_time()
        with paused_gc():  # as the engine runs: the collector would otherwise walk 200,000 live tuples
            reference = plain_loop(view, ids, checks)
        plain = time.process_time() - start
        best["plain"] = min(best["plain"], plain)
        ratios.append(engine / plain)
        same = Counter(f.status for f in findings) == Counter(status for _, _, status in reference)
        assert same, "the plain loop and the engine disagree: the reference is not answering the same checks"
        count = len(findings)
        del findings, reference
        start = time.process_time()
        evaluate_facts(doc, pack, catalogs, phase="pre", target_os="2016", now=NOW)
        best["full"] = min(best["full"], time.process_time() - start)
    return {**best, "findings": count, "median ratio": statistics.median(ratios)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller grid (for a smoke run)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the best counts (default 5)")
    parser.add_argument("--size", action="append", metavar="RULESxNODES", default=[],
                        help="measure only this size, e.g. 200x1000 (repeatable)")
    args = parser.parse_args()
    grid = [(50, 250), (200, 250)] if args.quick else [(50, 1000), (100, 1000), (200, 250), (200, 500), (200, 1000)]
    if args.size:
        grid = [(int(r), int(n)) for r, _, n in (size.partition("x") for size in args.size)]
    print(f"{'rules':>6} {'nodes':>6} {'findings':>9} {'engine s':>9} {'us/finding':>11} {'plain s':>8} "
          f"{'engine/plain':>13} {'median':>7} {'view s':>7} {'with result doc s':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for rules, nodes in grid:
            m = measure(rules, nodes, Path(tmp), args.repeat)
            print(f"{rules:>6} {nodes:>6} {m['findings']:>9.0f} {m['engine']:>9.3f} {m['engine'] / m['findings'] * 1e6:>11.2f} "
                  f"{m['plain']:>8.3f} {m['engine'] / m['plain']:>13.1f} {m['median ratio']:>7.1f} {m['view']:>7.3f} "
                  f"{m['full']:>18.3f}")


if __name__ == "__main__":
    main()
