"""Cluster scans: parallel nodes, per-node errors in the facts, interruption keeps what was collected."""
from __future__ import annotations

import gc
import threading
from functools import partial

import pytest

from scanner.cli.progress import Progress
from scanner.collect.deadline import Deadlines
from scanner.collect.progress import NodeKey, NoDisplay
from scanner.collect.scan import CollectOptions, ScanMeta, scan_cluster
from scanner.collect.winrm import NodeResult, unreachable
from scanner.facts.document import check_facts, collection_gaps
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab

FAST = {"connect_timeout": 5, "read_timeout": 3.0, "operation_timeout": 1, "retries": 1}
META = ScanMeta(method="lab", phase="pre", target_os="2016", inventory="lab", operator="tester")


@pytest.mark.parametrize("faults", [{"refuse": True}, {"auth_fail": True}, {"malformed": "clixml"}])
def test_a_failed_node_is_an_unreachable_entry_and_the_others_complete(faults) -> None:
    with start_lab(scenario(faults)).running() as lab:
        result = scan_cluster(lab_cluster(lab, **FAST), META, CollectOptions(resolver=resolver()))
    facts = check_facts(result.facts)
    by_name = {n["name"]: n for n in facts["nodes"]}
    assert by_name["N1"]["reachable"] and by_name["N2"]["reachable"]
    assert by_name["N3"]["reachable"] is False and by_name["N3"]["errors"][0]["section"] in ("connection", "auth", "protocol")
    assert facts["scan"]["partial"] is False
    assert any(g.startswith("N3:") for g in collection_gaps(facts))  # never GO with a node missing


def test_scan_metadata() -> None:
    with start_lab(scenario()).running() as lab:
        result = scan_cluster(lab_cluster(lab, **FAST), META, CollectOptions(resolver=resolver()))
    scan = check_facts(result.facts)["scan"]
    assert scan["method"] == "lab" and scan["phase"] == "pre" and scan["target_os"] == "2016"
    assert scan["source_os"] == "2012R2"  # the oldest release among the nodes
    assert scan["operator"] == "tester" and scan["inventory"] == "lab"
    assert result.facts["cluster"]["name"] == "COLLCLU"


def test_nodes_run_in_parallel() -> None:
    """Each fake collection waits until all three have started: only parallel execution finishes."""
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
    barrier = threading.Barrier(3, timeout=5)

    def collect(node, creds) -> NodeResult:
        barrier.wait()
        return NodeResult(node.name, unreachable(node.name, "connection", "fake"), 1, 0)

    result = scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=3, collect=collect))
    assert [r.name for r in result.results] == ["N1", "N2", "N3"]
    with pytest.raises(threading.BrokenBarrierError):
        barrier2 = threading.Barrier(3, timeout=0.2)

        def serial(node, creds) -> NodeResult:
            barrier2.wait()
            return NodeResult(node.name, unreachable(node.name, "connection", "fake"), 1, 0)

        scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=1, collect=serial))


def test_interrupt_keeps_what_was_collected(monkeypatch) -> None:
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
    release = threading.Event()

    def collect(node, creds) -> NodeResult:
        if node.name == "N1":
            return NodeResult(node.name, {"collector_version": "1", "node": {"name": "N1", "reachable": True, "errors": []},
                                          "cluster": None}, 1, 0)
        release.wait(5)
        return NodeResult(node.name, unreachable(node.name, "connection", "late"), 1, 0)

    import scanner.collect.scan as scan_mod

    real_next = scan_mod.next_result
    calls = {"n": 0}

    def interrupted_next(finished, until=None):
        calls["n"] += 1
        if calls["n"] == 2:  # after N1 came back, the user presses Ctrl-C
            raise KeyboardInterrupt
        return real_next(finished, until)

    monkeypatch.setattr(scan_mod, "next_result", interrupted_next)
    try:
        result = scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=1, collect=collect))
    finally:
        release.set()
    facts = check_facts(result.facts)
    assert result.partial and facts["scan"]["partial"] is True
    nodes = {n["name"]: n for n in facts["nodes"]}
    assert nodes["N1"]["reachable"] is True
    assert nodes["N2"]["errors"][0]["section"] == "interrupted" and nodes["N3"]["reachable"] is False
    assert "the scan was interrupted before every node was collected" in collection_gaps(facts)


def test_a_bug_in_a_collector_function_is_not_swallowed() -> None:
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)

    def broken(node, creds) -> NodeResult:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        scan_cluster(cluster, META, CollectOptions(resolver=resolver(), collect=broken))


def test_progress_display_renders_to_stderr(capsys) -> None:
    with start_lab(scenario({"refuse": True})).running() as lab:
        scan_cluster(lab_cluster(lab, **FAST), META, CollectOptions(resolver=resolver(), display=partial(Progress, enabled=True)))
    err = capsys.readouterr().err
    assert "N1" in err and "collected" in err and "connection" in err


def test_insecure_tls_is_warned(caplog, capsys, cli_warnings) -> None:
    with start_lab(scenario(), tls=True).running() as lab:
        cluster = lab_cluster(lab, **FAST, cert_validation=False)
        with caplog.at_level("WARNING", logger="scanner.collect.scan"):
            result = scan_cluster(cluster, META, CollectOptions(resolver=resolver()))
    assert all(r.reachable for r in result.results)
    assert "TLS CERTIFICATE VALIDATION IS DISABLED" in caplog.text
    assert capsys.readouterr().err.startswith("rollready: warning: TLS CERTIFICATE VALIDATION IS DISABLED for N1, N2, N3")


def test_nodes_reporting_another_cluster_are_an_error_not_merged() -> None:
    """An inventory cluster whose nodes report another cluster's name: one line, no facts, no history."""
    from dataclasses import replace

    from scanner.errors import InputError

    with start_lab(scenario()).running() as lab:
        cluster = replace(lab_cluster(lab, **FAST), name="PRODCLU")
        with pytest.raises(InputError) as err:
            scan_cluster(cluster, META, CollectOptions(resolver=resolver()))
        message = err.value.problems[0].render()
        assert "reports cluster COLLCLU" in message and "not PRODCLU" in message and "\n" not in message
        adhoc = replace(cluster, named=False)  # --node without --cluster: the name is only a placeholder
        assert scan_cluster(adhoc, META, CollectOptions(resolver=resolver())).facts["cluster"]["name"] == "COLLCLU"


def test_the_inventory_name_is_kept_beside_the_computer_name() -> None:
    from dataclasses import replace

    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
        renamed = replace(cluster, nodes=(replace(cluster.nodes[0], name="n1.collclu.example"), *cluster.nodes[1:]))
        facts = check_facts(scan_cluster(renamed, META, CollectOptions(resolver=resolver())).facts)
    first = facts["nodes"][0]
    assert first["name"] == "N1" and first["inventory_name"] == "n1.collclu.example"
    assert "inventory_name" not in facts["nodes"][1]


def test_scan_deadline_reports_nodes_not_collected_in_time() -> None:
    """--scan-timeout: a node started late gets only what is left; a node never started is reported."""
    with start_lab(scenario({"never_answer": True})).running() as lab:
        cluster = lab_cluster(lab, **{**FAST, "read_timeout": 60})
        # one at a time, N3 last: N1 and N2 finish, N3 hangs and is cut at the scan deadline
        result = scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=1,
                              deadlines=Deadlines(scan_timeout=3)))
    nodes = {n["name"]: n for n in check_facts(result.facts)["nodes"]}
    assert nodes["N1"]["reachable"] and nodes["N2"]["reachable"]
    assert nodes["N3"]["errors"][0]["section"] == "timeout"
    assert "node deadline" in nodes["N3"]["errors"][0]["message"]
    assert result.partial is False


def test_scan_deadline_names_nodes_that_never_started() -> None:
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
    started = []

    def slow(node, creds) -> NodeResult:
        started.append(node.name)
        threading.Event().wait(1.5)
        return NodeResult(node.name, unreachable(node.name, "connection", "fake"), 1, 0)

    result = scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=1, collect=slow,
                          deadlines=Deadlines(scan_timeout=1)))
    nodes = {n["name"]: n for n in result.facts["nodes"]}
    assert started == ["N1"]
    assert nodes["N2"]["errors"] == [{"section": "timeout", "message": "not collected within the scan deadline of 1 s"}]
    assert nodes["N3"]["errors"][0]["section"] == "timeout"


def test_each_output_is_kept_out_of_the_collectors_walks_and_nothing_stays_frozen() -> None:
    """A node's decoded output lives until the facts are built: it leaves the garbage collector's
    generations as it arrives (the full collections of a growing scan walked every output again),
    and the scan ends with nothing frozen (scanner/gcpause.kept_frozen)."""
    gc.unfreeze()
    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
    seen: list[bool] = []

    class Watch(NoDisplay):
        def finished(self, key: NodeKey, result: NodeResult) -> None:
            generations = [o for g in range(3) for o in gc.get_objects(g)]
            seen.append(not any(o is result.output for o in generations))

    def collect(node, creds) -> NodeResult:
        return NodeResult(node.name, unreachable(node.name, "connection", "fake"), 1, 0)

    scan_cluster(cluster, META, CollectOptions(resolver=resolver(), parallel=2, collect=collect, display=Watch))
    assert seen == [True, True, True]
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_two_inventory_entries_reaching_one_node_are_an_error_not_two_members() -> None:
    """A DNS alias listed beside the node's name: the facts held NODE1 twice (a document check_facts
    refuses when it is read back) and the verdict was GO."""
    from dataclasses import replace

    from scanner.errors import InputError

    with start_lab(scenario()).running() as lab:
        cluster = lab_cluster(lab, **FAST)
        alias = replace(cluster.nodes[0], name="N1.corp.example")
        twice = replace(cluster, nodes=(*cluster.nodes, alias))
        with pytest.raises(InputError) as err:
            scan_cluster(twice, META, CollectOptions(resolver=resolver()))
    assert err.value.problems[0].render().endswith(
        "inventory entries N1 and N1.corp.example reached the same node N1: list each node of the cluster once")
