import copy
import json

import pytest

from scanner import paths
from scanner.engine.run import evaluate_facts
from scanner.lab import load_scenario, scenario_facts
from scanner.pipeline import RuleOptions, load_rule_set

from scanner.errors import InputError
from scanner.report.result_doc import canonical_json, check_result, is_result, result_problems


def test_synthetic_documents_are_valid(small, hostile):
    assert check_result(small[0]) is small[0]
    check_result(hostile[0])


def test_violations_carry_json_pointers(small):
    doc = copy.deepcopy(small[0])
    doc["findings"][3]["status"] = "maybe"
    del doc["verdict"]["reason"]
    pointers = {p.pointer for p in result_problems(doc, file="r.json")}
    assert pointers == {"/findings/3/status", "/verdict"}
    with pytest.raises(InputError) as exc:
        check_result(doc, file="r.json")
    assert "r.json: /findings/3/status" in str(exc.value)


def test_unknown_top_level_key_is_refused(small):
    doc = dict(small[0], surprise=1)
    assert [p.pointer for p in result_problems(doc)] == ["/"]


def test_canonical_json_is_sorted_and_round_trips(small):
    data = canonical_json(small[0])
    again = json.loads(data)
    assert canonical_json(again) == data
    assert list(again) == sorted(again)


@pytest.mark.parametrize("doc", [
    {}, [], {"findings": []}, {"b": [1, {"z": 1, "a": [None, True, 1.5]}], "a": "é\u202e\"<"},
    {"n": {10: "int keys sort as numbers", 9: "then become strings"}}, [[], {}, [[{"k": "v"}]]], "plain", 3,
])
def test_canonical_json_is_the_bytes_of_json_dumps(doc, small, hostile):
    """Written piece by piece to bound memory, canonical JSON must stay byte for byte what json.dumps
    gives: its SHA-256 is printed in reports and recorded by earlier runs."""
    for d in (doc, small[0], hostile[0]):
        assert canonical_json(d) == json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def test_is_result_tells_result_from_facts(small):
    assert is_result(small[0])
    assert not is_result(json.loads(small[1]))


@pytest.mark.parametrize("scenario", sorted(p.name for p in paths.SCENARIOS_DIR.glob("*.yaml")))
def test_every_result_the_engine_builds_is_valid(scenario: str) -> None:
    """Reports and `evaluate --out` no longer re-check the engine's own output at run time: this does."""
    facts = scenario_facts(load_scenario(str(paths.SCENARIOS_DIR / scenario)), phase="pre", target_os="2016")
    rules = load_rule_set(RuleOptions())
    for phase in ("pre", "mixed", "post"):
        result, _ = evaluate_facts(facts, rules.pack, rules.catalogs, phase=phase, target_os="2016",
                                   facts_sha256="0" * 64)
        assert result_problems(result) == [], (scenario, phase)
