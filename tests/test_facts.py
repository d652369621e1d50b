"""Facts: validation with pointers, merging node outputs, and the cluster view rules read."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import factory
from scanner.errors import InputError
from scanner.facts.document import check_facts, collection_gaps, load_facts
from scanner.facts.outputs import facts_from_outputs
from scanner.facts.view import build_view


def test_factory_documents_are_valid() -> None:
    for doc in (factory.facts(), factory.mixed_dedup_hazard(), factory.post_fl8_traces()):
        check_facts(doc)


def test_every_violation_is_reported_with_pointer_and_node() -> None:
    doc = factory.facts()
    doc["nodes"][1]["os"]["build"] = "fourteen"
    doc["nodes"][2]["wmi"]["mscluster"]["ok"] = "yes"
    doc["cluster"]["functional_level"] = "8"
    with pytest.raises(InputError) as exc:
        check_facts(doc, file="f.json")
    rendered = [p.render() for p in exc.value.problems]
    assert len(rendered) == 3
    assert any(r.startswith("f.json: node NODE2: /nodes/1/os/build:") for r in rendered)
    assert any("node NODE3: /nodes/2/wmi/mscluster/ok" in r for r in rendered)
    assert any("/cluster/functional_level" in r for r in rendered)


def test_duplicate_node_names_are_refused() -> None:
    doc = factory.facts([factory.node("N1"), factory.node("n1")])
    with pytest.raises(InputError, match="duplicate node name"):
        check_facts(doc)


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "f.json"
    p.write_text('{"a": 1,\n  "b": }')
    with pytest.raises(InputError) as exc:
        load_facts(p)
    assert exc.value.problems[0].render() == f"{p}:2:8: invalid JSON: Expecting value"


def test_cluster_view_comes_from_the_newest_reachable_node() -> None:
    base = factory.facts()
    outputs = []
    for n, build in zip(base["nodes"], ("2012R2", "2016", "2012R2")):
        node = factory.node(n["name"], build)
        cluster = dict(base["cluster"], functional_level=8 if build == "2012R2" else 9)
        outputs.append({"collector_version": "1", "node": node, "cluster": cluster})
    outputs.append({"name": "NODE4", "reachable": False, "errors": [{"section": "connection", "message": "refused"}]})
    doc = facts_from_outputs(outputs, {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline"})
    check_facts(doc)
    assert doc["cluster"]["collected_from"] == "NODE2" and doc["cluster"]["functional_level"] == 9
    assert [n["name"] for n in doc["nodes"]] == ["NODE1", "NODE2", "NODE3", "NODE4"]


def test_volume_view_joins_owner_and_possible_owners() -> None:
    view = build_view(factory.mixed_dedup_hazard())
    (vol,) = view.volumes or []
    assert vol["owner_node"] == "NODE1" and vol["dedup"]["enabled"] is True
    assert [o["os"]["release"] for o in vol["possible_owners"]] == ["2016", "2012R2", "2012R2"]
    assert view.cluster["mixed_mode"] is True and view.cluster["os_releases"] == ["2012R2", "2016"]


def test_unreachable_owner_leaves_volume_facts_unknown() -> None:
    doc = factory.facts([factory.node("NODE1"), factory.node("NODE2")])
    doc["nodes"][0] = {"name": "NODE1", "reachable": False, "errors": [{"section": "connection", "message": "x"}]}
    view = build_view(doc)
    (vol,) = view.volumes or []
    assert vol["dedup"] is None and vol["owner"]["os"] is None
    assert view.cluster["mixed_mode"] is None  # one node's OS unknown, the rest agree


def test_shares_link_to_their_volume_by_path_prefix() -> None:
    doc = factory.facts()
    doc["nodes"][0]["shares"][0]["volume"] = None
    view = build_view(doc)
    (share,) = view.shares
    assert share["node"] == "NODE1" and share["volume_facts"]["path"] == "E:"


def test_examples_are_valid_facts() -> None:
    from scanner import paths

    for p in sorted(paths.EXAMPLES_DIR.glob("*.json")):
        check_facts(json.loads(p.read_text()), file=str(p))


def test_mixed_mode_uses_get_clusternode_builds_for_unreached_nodes() -> None:
    doc = factory.facts([factory.node("NODE1", "2016"), factory.node("NODE2", "2016")])
    doc["nodes"][1] = {"name": "NODE2", "reachable": False, "errors": [{"section": "connection", "message": "x"}]}
    assert build_view(doc).cluster["mixed_mode"] is None  # nothing says which OS NODE2 runs
    doc["cluster"]["nodes"][1]["build_number"] = 9600
    assert build_view(doc).cluster["mixed_mode"] is True
    doc["cluster"]["nodes"][1]["build_number"] = 14393
    assert build_view(doc).cluster["mixed_mode"] is False



def test_a_node_is_matched_with_its_member_entry_once_by_either_name() -> None:
    doc = factory.facts([factory.node("NODE1"), factory.node("NODE2")])
    # NODE2 unreached: the facts know it by the inventory's FQDN; a second node carries NODE1's key again
    doc["nodes"][1] = {"name": "node2.corp.example", "reachable": False,
                       "errors": [{"section": "connection", "message": "x"}]}
    doc["nodes"].append({**factory.node("node1.other.example"), "inventory_name": "127.0.0.21"})
    view = build_view(doc)
    members = {m["name"]: m for m in doc["cluster"]["nodes"]}
    by_name = {n["name"]: n for n in view.nodes}
    assert by_name["NODE1"]["membership"] is members["NODE1"]
    assert by_name["node2.corp.example"]["membership"] is members["NODE2"]
    assert by_name["node1.other.example"]["membership"] is None  # NODE1's entry is matched once
    assert view.node_of(members["NODE2"]) is by_name["node2.corp.example"]
    assert [m.node for m in view.coverage.members or ()] == ["NODE1", "node2.corp.example"]


def test_dating_the_mixed_mode_window_leaves_the_collected_document_alone() -> None:
    doc = factory.facts([factory.node("NODE1", "2016"), factory.node("NODE2")])
    collected = json.dumps(doc, sort_keys=True)
    view = build_view(doc)
    dated = view.with_mixed_mode_since("2026-11-03T02:00:00Z")
    assert json.dumps(doc, sort_keys=True) == collected
    assert dated.scan["mixed_mode_since"] == "2026-11-03T02:00:00Z" and dated.doc is not doc
    assert dated.cluster is view.cluster and dated.doc["nodes"] is doc["nodes"]  # the joins are not rebuilt

def _output(node: dict, cluster: dict) -> dict:
    return {"collector_version": "1", "node": node, "cluster": cluster}


def _csv(states: list[dict] | None = None, **fields: object) -> dict:
    csv = {"name": "Cluster Virtual Disk (CSV1)", "owner_node": "NODE1", "path": "C:\\ClusterStorage\\Volume1",
           "file_system": "CSVFS", **fields}
    if states is not None:
        csv["states"] = states
    return csv


def test_csv_redirected_on_another_node_is_seen_whichever_view_is_chosen() -> None:
    """C5: every node's Get-ClusterSharedVolumeState row is kept; the CSV takes its worst state."""
    base = factory.facts()
    direct = {"state_info": "Direct", "redirected_reason": "NotFileSystemRedirected"}
    redirected = {"state_info": "FileSystemRedirected", "redirected_reason": "IncompatibleFileSystemFilter"}
    # NODE2 (newest build, its view is chosen) sees its own row and a stale Direct row for NODE3;
    # NODE3's own view says it is redirected.
    views = {
        "NODE1": [{"node": "NODE1", **direct}],
        "NODE2": [{"node": "NODE2", **direct}, {"node": "NODE3", **direct}],
        "NODE3": [{"node": "NODE3", **redirected}],
    }
    outputs = []
    for n, release in zip(base["nodes"], ("2016", "2019", "2016")):
        name = n["name"]
        cluster = dict(base["cluster"], csvs=[_csv(views[name], state_info="Direct")])
        outputs.append(_output(factory.node(name, release), cluster))
    doc = facts_from_outputs(outputs, {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline"})
    check_facts(doc)
    csv = doc["cluster"]["csvs"][0]
    assert doc["cluster"]["collected_from"] == "NODE2"
    assert [(s["node"], s["state_info"]) for s in csv["states"]] == [
        ("NODE1", "Direct"), ("NODE2", "Direct"), ("NODE3", "FileSystemRedirected")]
    assert (csv["state_info"], csv["redirected_reason"]) == ("FileSystemRedirected", "IncompatibleFileSystemFilter")


def test_csv_state_from_older_collectors_counts_as_the_collecting_nodes_row() -> None:
    base = factory.facts()
    outputs = []
    for n, state in zip(base["nodes"], ("Direct", "BlockRedirected", "Direct")):
        cluster = dict(base["cluster"], csvs=[_csv(None, state_info=state, redirected_reason=None)])
        outputs.append(_output(factory.node(n["name"]), cluster))
    doc = facts_from_outputs(outputs, {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline"})
    csv = doc["cluster"]["csvs"][0]
    assert csv["state_info"] == "BlockRedirected"
    assert {s["node"] for s in csv["states"]} == {"NODE1", "NODE2", "NODE3"}


def test_free_form_installed_on_is_parsed_in_the_view_and_bad_text_is_unknown() -> None:
    """C8: one unreadable date makes that entry unknown, not the rule an error."""
    hotfixes = [{"id": "KB1", "installed_on": None, "installed_on_raw": "05.11.2026"},
                {"id": "KB2", "installed_on": "11/3/2026"},
                {"id": "KB3", "installed_on": None, "installed_on_raw": "garbage"},
                {"id": "KB4", "installed_on": "2026-10-01"}]
    doc = factory.facts([factory.node("NODE1", hotfixes=hotfixes), factory.node("NODE2"), factory.node("NODE3")])
    check_facts(doc)
    view = build_view(doc)
    got = {h["id"]: h["installed_on"] for h in view.nodes[0]["hotfixes"]}
    assert got == {"KB1": "2026-11-05", "KB2": "2026-11-03", "KB3": None, "KB4": "2026-10-01"}
    assert doc["nodes"][0]["hotfixes"][1]["installed_on"] == "11/3/2026"  # the evidence is not rewritten


def _hyperv(*switches: str, vms: tuple[str, ...] = ("9.0",)) -> dict:
    return {"present": True, "vms": [{"name": f"VM{i}", "version": v} for i, v in enumerate(vms)],
            "switches": [{"name": s} for s in switches], "supported_versions": None}


def test_vswitch_names_and_lowest_vm_version_across_nodes() -> None:
    nodes = [factory.node("NODE1", hyperv=_hyperv("Ext", "Mgmt", vms=("9.0", "5.0"))),
             factory.node("NODE2", hyperv=_hyperv("mgmt", "ext", vms=("10.0",))),
             factory.node("NODE3", hyperv={"present": False})]
    cluster = build_view(factory.facts(nodes)).cluster
    assert cluster["vswitch_names_consistent"] is True
    assert cluster["vswitch_names_by_node"] == {"NODE1": ["Ext", "Mgmt"], "NODE2": ["ext", "mgmt"]}
    assert cluster["vm_versions_min"] == "5.0"
    nodes[1] = factory.node("NODE2", hyperv=_hyperv("External"))
    assert build_view(factory.facts(nodes)).cluster["vswitch_names_consistent"] is False
    nodes[1] = factory.node("NODE2", hyperv=None)
    view = build_view(factory.facts(nodes)).cluster
    assert view["vswitch_names_consistent"] is None and view["vm_versions_min"] is None


def _outputs_with_views(views: list[dict[str, object]]) -> list[dict[str, object]]:
    base = factory.facts()
    return [{"collector_version": "1", "node": factory.node(n["name"], release), "cluster": view}
            for n, release, view in zip(base["nodes"], ("2016", "2012R2", "2012R2"), views)]


def test_a_broken_cluster_view_is_a_gap_on_its_node_and_the_next_view_is_kept() -> None:
    good = factory.facts()["cluster"]
    broken = dict(good, functional_level="nine")
    doc = facts_from_outputs(_outputs_with_views([broken, good, good]),
                             {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline"})
    check_facts(doc)
    assert doc["cluster"]["collected_from"] == "NODE2"  # NODE1 (newest build) sent the broken one
    assert doc["nodes"][0]["reachable"] and doc["nodes"][0]["errors"][-1]["section"] == "cluster"
    assert "/functional_level" in doc["nodes"][0]["errors"][-1]["message"]
    assert any(g.startswith("NODE1 cluster: cluster view /functional_level") for g in collection_gaps(doc))


def test_no_valid_cluster_view_leaves_the_cluster_uncollected() -> None:
    broken = dict(factory.facts()["cluster"], nodes="all")
    doc = facts_from_outputs(_outputs_with_views([broken, broken, broken]),
                             {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline",
                              "cluster_name": "FSCLUSTER1"})
    check_facts(doc)
    assert doc["cluster"]["errors"] == [{"section": "cluster", "message": "no node returned a valid cluster view"}]
    assert len([g for g in collection_gaps(doc) if " cluster: cluster view /nodes" in g]) == 3


def test_outputs_handed_over_give_the_document_copied_ones_give() -> None:
    """A scan hands its freshly decoded outputs over (no copy); the document is the same, and
    without handed_over the caller's outputs are left exactly as they were."""
    import copy

    def outputs() -> list[dict[str, object]]:
        good = factory.facts()["cluster"]
        made: list[dict[str, object]] = _outputs_with_views([dict(good, functional_level="nine"), copy.deepcopy(good),
                                                             copy.deepcopy(good)])
        made.append({"name": "NODE4", "reachable": False, "errors": [{"section": "connection", "message": "refused"}]})
        return made

    scan = {"tool_version": "0", "collected_at": factory.COLLECTED_AT, "method": "offline"}
    kept = outputs()
    before = json.dumps(kept, sort_keys=True)
    copied = facts_from_outputs(kept, scan)
    assert json.dumps(kept, sort_keys=True) == before
    assert facts_from_outputs(outputs(), scan, handed_over=True) == copied
    assert copied["cluster"]["collected_from"] == "NODE2" and copied["nodes"][0]["errors"][-1]["section"] == "cluster"
