import copy

from report_synthetic import facts_document, result_document

from scanner.report.diff import Side, diff
from scanner.report.diff_render import render_html, render_text


def side(label, facts=None, result=None):
    return Side(label, result, facts, {}, {})


def upgrade_pair():
    before = facts_document(4, upgraded=1, hotfixes=("KB1",), owners={"Cluster Disk 1": 0, "Cluster Disk 2": 1},
                            functional_level=8, upgrade_version=1)
    after = facts_document(4, upgraded=2, hotfixes=("KB1", "KB2"), traces=True, phase="mixed",
                           owners={"Cluster Disk 1": 3, "Cluster Disk 2": 0}, functional_level=9, upgrade_version=2)
    return before, after


def test_os_level_traces_patches_and_dedup_moves():
    before, after = upgrade_pair()
    d = diff(side("before", before), side("after", after))
    assert d["cluster"]["functional_level"] == {"before": 8, "after": 9, "changed": True}
    assert d["cluster"]["upgrade_version"] == {"before": 1, "after": 2, "changed": True}
    assert [n["name"] for n in d["nodes"] if n["os_changed"]] == ["NODE02"]
    assert not any(n["updated"] for n in d["nodes"])
    appeared = {(r["node"], r["value"]) for r in d["registry_traces"] if r["appeared"]}
    assert ("NODE01", "operating_version_present") in appeared and ("NODE04", "mixed_mode") in appeared
    assert {p["node"]: p["added"] for p in d["patches"]} == {f"NODE0{i}": ["KB2"] for i in range(1, 5)}
    moves = {m["volume"]: m for m in d["dedup_owner_moves"]}
    assert moves["Cluster Disk 1"]["before_owner"] == "NODE01" and moves["Cluster Disk 1"]["after_owner"] == "NODE04"
    assert moves["Cluster Disk 1"]["to_older_os"] is True  # 2016 -> 2012 R2: the corrupting direction
    assert moves["Cluster Disk 2"]["to_older_os"] is False  # 2012 R2 (then) -> 2016
    assert d["findings"] is None and any("no result document" in u for u in d["unavailable"])


def test_findings_new_resolved_still_open_and_not_re_evaluated():
    before, _ = result_document(3, 4, fail_rate=0.0, waived=0)
    after = copy.deepcopy(before)
    fb, fa = before["findings"], after["findings"]
    fb[0]["status"], fa[0]["status"] = "fail", "pass"  # resolved
    fb[1]["status"], fa[1]["status"] = "pass", "fail"  # new
    fb[2]["status"], fa[2]["status"] = "unknown", "fail"  # still open
    fb[3]["status"], fa[3]["subject"] = "error", "elsewhere"  # before only: not re-evaluated; after: new key
    d = diff(side("before", result=before), side("after", result=after))["findings"]
    key = lambda e: (e["rule_id"], e["subject"])  # noqa: E731
    assert [key(e) for e in d["resolved"]] == [key(fb[0])]
    assert key(fb[1]) in [key(e) for e in d["new"]]
    assert [key(e) for e in d["still_open"]] == [key(fb[2])]
    assert [key(e) for e in d["not_re_evaluated"]] == [key(fb[3])]
    assert d["still_open"][0]["before"]["status"] == "unknown" and d["still_open"][0]["after"]["status"] == "fail"


def test_text_and_html_render_every_section_inert():
    before, after = upgrade_pair()
    after["nodes"][0]["os"]["caption"] = "<script>x</script>\x1b[2J\u202e"
    after["cluster"]["name"] = "FSCLUSTER1"
    d = diff(side("before", before), side("after", after))
    text = render_text(d)
    for part in ("functional level", "OS changed", "appeared", "+KB2", "MOVED TO AN OLDER OS", "not compared"):
        assert part in text
    assert "\x1b" not in text
    html = render_html(d)
    assert "<script>x" not in html and "corruption risk" in html and 'id="traces"' in html


def test_a_cumulative_update_is_not_an_os_change():
    before, _ = upgrade_pair()
    after = copy.deepcopy(before)
    after["nodes"][0]["os"]["version"] = "10.0.14393.9999"
    nodes = {n["name"]: n for n in diff(side("before", before), side("after", after))["nodes"]}
    assert nodes["NODE01"]["updated"] and not nodes["NODE01"]["os_changed"]
