"""The diff document matches schemas/diff.schema.json, and `diff --format json` never writes one that does not."""
import copy
import json
from datetime import date

import jsonschema
import pytest
from report_synthetic import HOSTILE, facts_bytes, facts_document, result_document

from scanner import exitcodes, paths
from scanner.cli import diff_cmd, main
from scanner.engine.run import evaluate_facts
from scanner.errors import InputError
from scanner.facts.document import check_facts
from scanner.report.diff import Side, check_diff, diff
from scanner.report.result_doc import canonical_json, sha256_hex
from scanner.rulefiles import load_catalogs, load_rules

SCHEMA = json.loads((paths.SCHEMAS_DIR / "diff.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
PRE = paths.EXAMPLES_DIR / "pre-healthy-2012r2.json"
POST = paths.EXAMPLES_DIR / "post-fl8-traces.json"
DIGEST = "0" * 64


def side(label, facts=None, result=None):
    files = {k: f"{label}-{k}.json" for k, doc in (("result", result), ("facts", facts)) if doc is not None}
    return Side(label, result, facts, files, {k: DIGEST for k in files})


def assert_valid(doc):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(doc)]
    assert errors == []
    assert check_diff(doc) is doc


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == "https://rollready.invalid/schemas/diff.schema.json"


def test_synthetic_facts_diffs_validate_with_every_row_kind():
    before = facts_document(4, upgraded=1, hotfixes=("KB1",), owners={"Cluster Disk 1": 0, "Cluster Disk 2": 1})
    after = facts_document(5, upgraded=2, hotfixes=("KB1", "KB2"), traces=True, phase="mixed", unreachable=(2,),
                           owners={"Cluster Disk 1": 3, "Cluster Disk 2": 0}, functional_level=9, upgrade_version=None,
                           text=HOSTILE)
    after["nodes"][1]["hotfixes"] = None  # patches not comparable on NODE02
    after["nodes"][3]["cluster_registry"] = None  # traces "*": collected before, not after
    d = diff(side("before", check_facts(before)), side("after", check_facts(after)))
    assert {n["presence"] for n in d["nodes"]} == {"both", "added"}
    assert any(p["note"] for p in d["patches"]) and any(p["added"] for p in d["patches"])
    assert any(r["value"] == "*" for r in d["registry_traces"]) and d["dedup_owner_moves"]
    assert_valid(d)
    reverse = diff(side("before", check_facts(after)), side("after", check_facts(before)))
    assert "removed" in {n["presence"] for n in reverse["nodes"]}
    assert_valid(reverse)


def test_synthetic_result_diffs_validate_with_and_without_facts():
    before, _ = result_document(4, 8, unreachable=(2,), fail_rate=0.3, text=HOSTILE)
    after, _ = result_document(4, 8, seed=7, fail_rate=0.3, phase="post", waived=0)
    after["findings"][0]["subject"] = "elsewhere"
    d = diff(side("before", result=before), side("after", result=after))
    assert sum(d["findings"]["counts"].values()) > 0 and d["registry_traces"] is None
    assert_valid(d)
    facts = facts_document(4, upgraded=4, phase="post")
    with_facts, _ = result_document(4, 8, facts=facts, phase="post")
    assert_valid(diff(side("before", facts_document(4), before), side("after", facts, with_facts)))


def evaluated(path, phase):
    raw = path.read_bytes()
    facts = check_facts(json.loads(raw), file=str(path))
    result, _ = evaluate_facts(facts, load_rules(), load_catalogs(), phase=phase, facts_sha256=sha256_hex(raw),
                               today=date(2026, 11, 20))
    return facts, result


def test_the_examples_diff_validates_in_memory_and_through_the_cli(tmp_path, capsys):
    pre_facts, pre_result = evaluated(PRE, "pre")
    post_facts, post_result = evaluated(POST, "post")
    d = diff(side("before", pre_facts, pre_result), side("after", post_facts, post_result))
    assert d["findings"] is not None and d["unavailable"] == []
    assert_valid(d)
    (tmp_path / "pre.json").write_bytes(canonical_json(pre_result))
    (tmp_path / "post.json").write_bytes(canonical_json(post_result))
    out = tmp_path / "diff.json"
    assert main(["diff", str(tmp_path / "pre.json"), str(tmp_path / "post.json"), "--before-facts", str(PRE),
                 "--after-facts", str(POST), "--format", "json", "--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["before"]["files"] == {"result": str(tmp_path / "pre.json"), "facts": str(PRE)}
    assert_valid(written)


def test_facts_only_cli_output_validates(tmp_path, capsys):
    (tmp_path / "a.json").write_bytes(facts_bytes(facts_document(2)))
    (tmp_path / "b.json").write_bytes(facts_bytes(facts_document(2, upgraded=1, traces=True)))
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["findings"] is None and len(written["unavailable"]) == 2
    assert_valid(written)


@pytest.fixture(scope="module")
def valid():
    before, _ = result_document(3, 6, fail_rate=0.3)
    after, _ = result_document(3, 6, seed=3, fail_rate=0.3)
    d = diff(side("before", facts_document(3), before), side("after", facts_document(3, upgraded=1), after))
    check_diff(d)
    return d


@pytest.mark.parametrize("path, value", [
    ((), ("extra", 1)),  # unknown key at the top
    (("before",), ("digest", DIGEST)),
    (("nodes", 0), ("state", "Up")),
    (("nodes", 0, "before"), ("ubr", 100)),
    (("cluster", "functional_level"), ("delta", 1)),
    (("findings", "counts"), ("waived", 0)),
    (("before", "files"), ("rules", "x.yaml")),  # only result and facts files
])
def test_an_unknown_key_is_rejected(valid, path, value):
    doc = copy.deepcopy(valid)
    target = doc
    for p in path:
        target = target[p]
    target[value[0]] = value[1]
    assert not VALIDATOR.is_valid(doc)
    with pytest.raises(InputError):
        check_diff(doc)


@pytest.mark.parametrize("path, value", [
    (("diff_version",), 1),
    (("diff_version",), "1"),
    (("nodes", 0, "presence"), "gone"),
    (("nodes", 0, "os_changed"), "yes"),
    (("nodes", 0, "before", "release"), "2008"),
    (("before", "verdict"), "MAYBE"),
    (("before", "sha256", "result"), "ABC"),
    (("cluster", "upgrade_version", "after"), "2"),
    (("registry_traces",), {}),
    (("patches",), "none"),
    (("findings", "counts", "new"), -1),
    (("findings",), []),
    (("unavailable",), [None]),
])
def test_a_wrong_type_or_value_is_rejected(valid, path, value):
    doc = copy.deepcopy(valid)
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    assert not VALIDATOR.is_valid(doc)


def test_row_shapes_are_checked(valid):
    doc = copy.deepcopy(valid)
    doc["patches"] = [{"node": "NODE01", "added": None, "removed": None, "note": None}]  # neither form
    doc["registry_traces"] = [{"node": "NODE01", "value": "build", "before": 1, "after": 2, "appeared": False}]
    doc["dedup_owner_moves"] = [{"volume": "Cluster Disk 1", "before_owner": "NODE01"}]
    paths_wrong = {tuple(e.absolute_path)[:1] for e in VALIDATOR.iter_errors(doc)}
    assert paths_wrong == {("patches",), ("registry_traces",), ("dedup_owner_moves",)}


def test_a_missing_key_is_rejected(valid):
    doc = copy.deepcopy(valid)
    del doc["nodes"][0]["compared"]
    with pytest.raises(InputError, match="compared"):
        check_diff(doc)


def test_an_invalid_diff_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.json").write_bytes(facts_bytes(facts_document(2)))

    def broken(before, after, **kwargs):
        d = diff(before, after, **kwargs)
        d["nodes"][0]["presence"] = "gone\nsecond line"
        d["surprise"] = True
        return d

    monkeypatch.setattr(diff_cmd, "diff", broken)
    out = tmp_path / "diff.json"
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "a.json"), "--format", "json", "--out", str(out),
                 "--html", str(tmp_path / "d.html")]) == exitcodes.DATAERR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "diff.schema.json" in err and "Traceback" not in err
    assert "2 more" not in err and "1 more violations" in err
    assert not out.exists() and not (tmp_path / "d.html").exists()
