"""A fleet's collection runs at most a window ahead of the clusters its consumer has taken
(scanner/collect/window.py): its outputs wait in memory until the consumer gets to them."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from scanner.collect.progress import NodeKey, NoDisplay
from scanner.collect.scan import CollectOptions, ScanMeta, scan_fleet
from scanner.collect.window import StartWindow
from scanner.collect.winrm import NodeResult
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab


def test_the_limit_follows_the_first_cluster_not_taken() -> None:
    window = StartWindow([3, 3, 3, 3], parallel=2)
    assert window.limit == 5  # the budget plus the largest cluster: the first cluster can always finish
    assert window.taken(1) == 5  # taken out of order: the first is still held
    assert window.taken(0) == 6 + 5
    assert window.taken(2) == 9 + 5 and window.taken(3) == 12 + 5
    assert StartWindow([], parallel=4).limit == 4


def _output(name: str) -> dict:
    return {"collector_version": "1", "node": {"name": name, "reachable": True, "errors": []}, "cluster": None}


@pytest.mark.parametrize("processes", [1, 2])
def test_a_consumer_that_holds_a_cluster_holds_the_collection_a_window_ahead(processes: int) -> None:
    """Five clusters of three nodes, one node at a time: while the consumer holds the first cluster,
    at most parallel + 3 nodes have started; once it lets go, the rest are collected."""
    with start_lab(scenario()).running() as lab:
        base = lab_cluster(lab)
    clusters = [replace(base, name=f"C{i}", named=False) for i in range(5)]
    started: list[NodeKey] = []

    class Count(NoDisplay):
        def started(self, key: NodeKey) -> None:
            started.append(key)

    def collect(node, creds) -> NodeResult:
        time.sleep(0.01)
        return NodeResult(node.name, _output(node.name), 1, 0)

    scans = scan_fleet(clusters, ScanMeta(method="lab"),
                       CollectOptions(resolver=resolver(), parallel=1, collect=collect, display=Count,
                                      processes=processes))
    first = next(scans)
    assert first.cluster == "C0"
    time.sleep(0.6)  # the workers, unheld, would have started all 15 nodes by now
    assert len(started) <= 1 + 3
    rest = list(scans)
    assert [r.cluster for r in rest] == ["C1", "C2", "C3", "C4"] and len(started) == 15


def test_one_cluster_is_never_held_back() -> None:
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab)
    gate = threading.Barrier(3, timeout=5)  # all three nodes in flight at once, with a budget of three

    def collect(node, creds) -> NodeResult:
        gate.wait()
        return NodeResult(node.name, _output(node.name), 1, 0)

    done = list(scan_fleet([cluster], ScanMeta(method="lab"),
                           CollectOptions(resolver=resolver(), parallel=3, collect=collect, processes=1)))
    assert len(done) == 1 and len(done[0].results) == 3
