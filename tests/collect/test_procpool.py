"""The scanner process pool: nodes spread over forked workers, results and progress back in the parent."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from scanner.collect.procpool import MIN_NODES_PER_PROCESS, ProcessPool, process_count
from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster
from scanner.collect.winrm import NodeResult
from scanner.facts.document import check_facts
from scanner.inventory import NodeTarget
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab

META = ScanMeta(method="lab", phase="pre", target_os="2016", inventory="lab", operator="tester")
FAST = {"connect_timeout": 5, "read_timeout": 3.0, "operation_timeout": 1, "retries": 1}


def test_process_count_is_one_per_core_for_enough_nodes() -> None:
    assert process_count(64, cpus=2) == 2
    assert process_count(64, cpus=8) == 64 // MIN_NODES_PER_PROCESS
    assert process_count(MIN_NODES_PER_PROCESS * 2 - 1, cpus=8) == 1
    assert process_count(0, cpus=8) == 1
    assert process_count(1000) >= 1


def _pool_outcomes(collect: Any, nodes: int, processes: int = 2) -> tuple[dict[int, Any], list[int], list[int]]:
    items: list[tuple[int, NodeTarget]] = [(i, i) for i in range(nodes)]  # type: ignore[misc]  # fake targets: their index
    started: list[int] = []
    finished: list[int] = []
    with ProcessPool(items, collect, dict.fromkeys(range(nodes)), parallel=8, processes=processes) as pool:
        out = pool.results(started.append, lambda key, result: finished.append(key), threading.Event())
        outcomes = dict(out.get(timeout=30) for _ in range(nodes))
    return outcomes, started, finished


def _report_pid(node: Any, credentials: Any) -> NodeResult:
    return NodeResult("n", {"name": "n", "reachable": False, "errors": [], "pid": os.getpid()}, 1, 0)


def test_every_node_is_collected_once_in_the_workers_and_reported_in_the_parent() -> None:
    outcomes, started, finished = _pool_outcomes(_report_pid, 40)
    assert sorted(outcomes) == list(range(40))
    pids = {result.output["pid"] for result in outcomes.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert sorted(started) == sorted(finished) == list(range(40))  # progress callbacks, in this process


def _fail_on_seven(node: Any, credentials: Any) -> NodeResult:
    if node == 7:
        raise KeyError("boom")
    return _report_pid(node, credentials)


def test_a_bug_in_the_collect_function_comes_back_as_an_exception() -> None:
    outcomes, _, _ = _pool_outcomes(_fail_on_seven, 10)
    assert isinstance(outcomes[7], RuntimeError) and "KeyError" in str(outcomes[7])
    assert all(isinstance(o, NodeResult) for key, o in outcomes.items() if key != 7)


def _hang(node: Any, credentials: Any) -> NodeResult:
    time.sleep(60)
    raise AssertionError("not reached")


def test_stop_ends_the_workers_at_once() -> None:
    items: list[tuple[int, NodeTarget]] = [(i, None) for i in range(4)]  # type: ignore[misc]
    stop = threading.Event()
    pool = ProcessPool(items, _hang, dict.fromkeys(range(4)), parallel=4, processes=2)
    pool.results(lambda key: None, lambda key, result: None, stop)
    started = time.monotonic()
    stop.set()
    pool.close()
    assert time.monotonic() - started < 10
    assert not any(process.is_alive() for process, _ in pool._workers)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_lab_scan_through_processes_gives_the_same_facts(processes: int) -> None:
    with start_lab(scenario({"refuse": True})).running() as lab:
        result = scan_cluster(lab_cluster(lab, **FAST), META, CollectOptions(resolver=resolver(),
                              processes=processes))
    facts = check_facts(result.facts)
    assert [(n["name"], n["reachable"]) for n in facts["nodes"]] == [("N1", True), ("N2", True), ("N3", False)]
    assert facts["cluster"]["collected_from"] in ("N1", "N2")
    assert [r.name for r in result.results] == ["N1", "N2", "N3"]
