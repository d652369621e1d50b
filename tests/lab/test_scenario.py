"""Loading scenarios: merging node facts, faults, and errors that name file:line."""
from __future__ import annotations

import pytest

from scanner.errors import InputError
from scanner.lab import load_scenario
from scanner.lab.scenario import deep_merge
from tests.lab.conftest import SMALL


def _error(scenario_file, text: str) -> InputError:
    path = scenario_file(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert all(p.file == str(path) for p in info.value.problems)
    return info.value


def test_node_facts_are_deep_merged_over_defaults(scenario_file):
    scenario = load_scenario(scenario_file(SMALL))
    n1, n2 = scenario.nodes
    assert n1.facts["os"]["ubr"] == 19000 and n2.facts["os"]["ubr"] == 20000
    assert n2.facts["os"]["version"] == "6.3.9600"  # kept from the defaults
    assert n2.facts["name"] == "N2" and n2.facts["reachable"] is True and n2.facts["errors"] == []
    assert scenario.cluster["name"] == "LABCLU"


def test_deep_merge_replaces_lists_and_leaves_inputs_alone():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    over = {"a": {"c": [3]}, "e": 2}
    assert deep_merge(base, over) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_faults_are_read(scenario_file):
    text = SMALL + "    faults: {latency_ms: 5, malformed: clixml, section_errors: {wmi: boom}, hang_section: drivers}\n"
    faults = load_scenario(scenario_file(text)).node("N2").faults
    assert faults.latency_ms == 5 and faults.malformed == "clixml"
    assert dict(faults.section_errors) == {"wmi": "boom"} and faults.hang_sections == ("drivers",)
    assert faults.transport_failure == "malformed PSRP output (invalid CLIXML)"


def test_yaml_syntax_error_names_the_line(scenario_file):
    err = _error(scenario_file, "name: x\ncluster: {name: C\nnodes: []\n")
    assert err.problems[0].line == 3
    assert "YAML syntax" in err.problems[0].render()


def test_unknown_fault_names_its_line(scenario_file):
    err = _error(scenario_file, SMALL + "    faults: {refuse: true, explode: true}\n")
    problem = err.problems[0]
    assert problem.line == SMALL.count("\n") + 1
    assert "explode" in problem.message
    assert problem.render().startswith(f"{problem.file}:{problem.line}: ")


def test_bad_fact_in_defaults_names_the_defaults_line(scenario_file):
    text = SMALL.replace("hotfixes: [{id: KB5001382}]", "hotfixes: [{id: 5001382}]")
    err = _error(scenario_file, text)
    line = text.splitlines().index("  hotfixes: [{id: 5001382}]") + 1
    assert {p.line for p in err.problems} == {line}
    assert {p.node for p in err.problems} == {"N1", "N2"}
    assert err.problems[0].pointer == "/nodes/0/facts/hotfixes/0/id"


def test_bad_fact_in_a_node_names_the_node_line(scenario_file):
    text = SMALL.replace("os: {ubr: 20000}", "os: {ubr: twenty}")
    err = _error(scenario_file, text)
    assert len(err.problems) == 1
    assert err.problems[0].line == text.splitlines().index("      os: {ubr: twenty}") + 1
    assert err.problems[0].node == "N2"


def test_unknown_node_fact_is_an_error(scenario_file):
    err = _error(scenario_file, SMALL.replace("os: {ubr: 20000}", "os: {ubr: 20000}\n      antivirus: yes"))
    assert "antivirus" in err.problems[0].message


def test_duplicate_node_names_are_an_error(scenario_file):
    err = _error(scenario_file, SMALL.replace("  - name: N2", "  - name: n1"))
    assert "duplicate node name" in err.problems[0].message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read scenario"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize("entry", ["{altitude: '328010'}", "{name: 7, altitude: x}", "nonsense"])
def test_invalid_facts_are_reported_before_shaping_reads_them(scenario_file, entry):
    """Found by tests/fuzz: a filter without a name reached the in-box shaping and raised KeyError."""
    text = SMALL.replace("os: {ubr: 20000}", f"os: {{ubr: 20000}}\n      filters: [{entry}]")
    err = _error(scenario_file, text + "windows: {inbox_devices: standard}\n")
    assert {p.node for p in err.problems} == {"N2"}
    assert all("/filters/0" in (p.pointer or "") for p in err.problems)


@pytest.mark.parametrize("value", ["garbage", "2026-13-45", "@now-xd"])
def test_a_hotfix_date_the_lab_cannot_answer_with_is_refused_at_load(scenario_file, value):
    """It used to load, then fail inside the lab when a scan asked for the node's hotfixes."""
    text = SMALL.replace("hotfixes: [{id: KB5001382}]", f"hotfixes: [{{id: KB5001382, installed_on: '{value}'}}]")
    err = _error(scenario_file, text)
    assert {p.node for p in err.problems} == {"N1", "N2"}
    assert all(f"hotfixes[0].installed_on {value!r}" in p.message for p in err.problems)


def test_dates_and_raw_text_the_lab_can_answer_with_load(scenario_file):
    text = SMALL.replace("hotfixes: [{id: KB5001382}]", "hotfixes: [{id: KB1, installed_on: '2026-11-30'}, "
                         "{id: KB2, installed_on: '@now-3d'}, {id: KB3, installed_on: 'x', installed_on_raw: '30.11.2026'}]")
    fixes = load_scenario(scenario_file(text)).node("N1").facts["hotfixes"]
    assert [f["id"] for f in fixes] == ["KB1", "KB2", "KB3"]


def test_a_filter_altitude_that_is_not_a_number_is_refused_at_load(scenario_file):
    text = SMALL.replace("os: {ubr: 20000}", "os: {ubr: 20000}\n      filters: [{name: odd, altitude: high}]")
    err = _error(scenario_file, text + "windows: {inbox_devices: standard}\n")
    assert [p.message for p in err.problems] == [
        "filters[0].altitude 'high': a minifilter's altitude is a number (e.g. '328010')"]
