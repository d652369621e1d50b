"""The lab fault matrix (issue #11 §7): every fault on one node of sixteen, and the lab killed
mid-scan. The faulty node is named, the fifteen others are scanned, the verdict is INCOMPLETE (or
NO-GO where the fault is itself a finding), and nothing hangs past the deadlines."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from scanner.collect.deadline import Deadlines
from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster
from scanner.engine.run import evaluate_facts
from scanner.facts.document import check_facts, collection_gaps
from scanner.lab import parse_scenario
from scanner.rulefiles import load_catalogs, load_rules
from tests.collect.conftest import THREE, lab_cluster, resolver, start_lab

PACK = load_rules()
CATALOGS = load_catalogs()
META = ScanMeta(method="lab", phase="pre", target_os="2016", inventory="lab", operator="tester")
FAST = {"connect_timeout": 5, "read_timeout": 4.0, "operation_timeout": 1, "retries": 1, "node_timeout": 6}
FAULTY = "N07"

# fault -> the section its node reports; None: the node is collected and reports the gap itself
FAULTS: list[tuple[dict[str, Any], str | None]] = [
    ({"refuse": True}, "connection"),
    ({"auth_fail": True}, "auth"),
    ({"drop_mid_receive": True}, "connection"),
    ({"slow_ms": 8000}, "timeout"),
    ({"malformed": "xml"}, "protocol"),
    ({"malformed": "clixml"}, "protocol"),
    ({"never_answer": True}, "timeout"),
    ({"trickle_ms": 300}, "timeout"),
    ({"stall_mid_receive": True}, "timeout"),
    ({"latency_ms": 300}, None),
    ({"section_errors": {"drivers": "Access denied"}}, None),
    ({"hang_section": "wmi"}, None),
]


def sixteen(faults: dict[str, Any] | None) -> Any:
    """The collection tests' cluster grown to sixteen nodes, the fault on N07."""
    head, _ = THREE.split("  nodes:\n    - {name: N1", 1)
    members = "".join(f"    - {{name: N{i:02d}, state: Up}}\n" for i in range(1, 17))
    text = head + "  nodes:\n" + members + THREE[THREE.index("node_defaults:"):THREE.index("nodes:\n  - name: N1")]
    text += "nodes:\n" + "".join(f"  - name: N{i:02d}\n" for i in range(1, 17))
    if faults:
        text = text.replace(f"  - name: {FAULTY}\n", f"  - name: {FAULTY}\n    faults: {json.dumps(faults)}\n")
    return parse_scenario(text, "sixteen.yaml")


def _verdict(facts: dict[str, Any]) -> str:
    result, _ = evaluate_facts(facts, PACK, CATALOGS, phase="pre", target_os="2016")
    return str(result["verdict"]["status"])


@pytest.mark.slow
@pytest.mark.parametrize(("faults", "section"), FAULTS, ids=lambda v: next(iter(v)) if isinstance(v, dict) else str(v))
def test_one_faulty_node_of_sixteen(faults: dict[str, Any], section: str | None) -> None:
    started = time.monotonic()
    with start_lab(sixteen(faults)).running() as lab:
        result = scan_cluster(lab_cluster(lab, **FAST), META, CollectOptions(resolver=resolver()))
    took = time.monotonic() - started
    facts = check_facts(result.facts)
    nodes = {n["name"]: n for n in facts["nodes"]}
    assert len(nodes) == 16
    others = [n for name, n in nodes.items() if name != FAULTY]
    assert all(n["reachable"] for n in others)  # the other fifteen are scanned
    faulty = nodes[FAULTY]
    if section is None:
        assert faulty["reachable"]
        if "latency_ms" not in faults:
            assert faulty["errors"], faulty["errors"]
            assert any(g.startswith(FAULTY) for g in collection_gaps(facts))
            assert _verdict(facts) in ("INCOMPLETE", "NO-GO")
    else:
        assert faulty["reachable"] is False and faulty["errors"][0]["section"] == section
        assert any(g.startswith(FAULTY) for g in collection_gaps(facts))  # named
        assert _verdict(facts) == "INCOMPLETE"
    assert took < FAST["node_timeout"] + 5 + 30  # deadline + cleanup grace + a busy machine's slack


@pytest.mark.slow
def test_the_lab_killed_mid_scan() -> None:
    """The whole lab goes away while the scan runs: every node not yet collected is named, nothing
    hangs past the node deadline, the verdict is INCOMPLETE."""
    scenario = sixteen({"never_answer": True})
    lab = start_lab(scenario)
    lab.start()
    cluster = lab_cluster(lab, **FAST)
    killer = threading.Timer(1.0, lab.stop)
    killer.start()
    started = time.monotonic()
    try:
        result = scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=4,
                              deadlines=Deadlines(scan_timeout=60)))
    finally:
        killer.join()
        lab.stop()
    assert time.monotonic() - started < FAST["node_timeout"] + 5 + 30
    facts = check_facts(result.facts)
    missing = [n for n in facts["nodes"] if not n["reachable"]]
    assert missing and all(n["errors"][0]["message"] for n in missing)
    assert {n["errors"][0]["section"] for n in missing} <= {"connection", "timeout", "protocol"}
    assert _verdict(facts) == "INCOMPLETE"
