"""The fixture runner (set/unset paths, expectations, coverage) and the rules sub-commands around it."""
from __future__ import annotations

from pathlib import Path

import pytest
from factory import WriteFile

from scanner.cli import main
from scanner.errors import InputError
from scanner.rulefiles import load_catalogs, load_rules
from scanner.ruletest import Case, build_facts, run_cases

PACK = load_rules()
CATALOGS = load_catalogs()


def case(raw: dict) -> Case:
    return Case(raw.get("rule", "CLU-001"), "t", raw.get("expect", "pass"), raw, "cases.yaml", 3)


def test_set_by_index_name_and_star_and_unset() -> None:
    doc = build_facts(case({"set": {"cluster.nodes[1].state": "Down", "nodes[node3].os.ubr": 1, "nodes[*].odx_mode": 1,
                                    "cluster.nodes[-1].drain_status": None},
                            "unset": ["nodes[NODE1].defender"]}), {}, "pre")
    assert [n["state"] for n in doc["cluster"]["nodes"]] == ["Up", "Down", "Up"]
    assert doc["cluster"]["nodes"][2]["drain_status"] is None
    assert doc["nodes"][2]["os"]["ubr"] == 1
    assert {n["odx_mode"] for n in doc["nodes"]} == {1}
    assert "defender" not in doc["nodes"][0] and "defender" in doc["nodes"][1]


@pytest.mark.parametrize("raw, message", [
    ({"set": {"nodes[NODE9].odx_mode": 1}}, "no item named 'NODE9'"),
    ({"set": {"cluster.nodes[7].state": "Up"}}, "index 7 out of range"),
    ({"set": {"scan.phase[0]": "x"}}, "phase is not a list"),
    ({"set": {"cluster.nodes[0].state": "Sleeping"}}, "the case makes the facts invalid"),
])
def test_bad_changes_are_reported_with_the_case_location(raw: dict, message: str) -> None:
    with pytest.raises(InputError) as exc:
        build_facts(case(raw), {}, "pre")
    problem = exc.value.problems[0]
    assert message in problem.message and problem.file == "cases.yaml" and problem.line == 3


CASES = """\
cases:
  - {rule: ODX-001, name: same everywhere, expect: pass}
  - rule: ODX-001
    name: NODE2 differs
    expect: fail
    set: {"nodes[NODE2].odx_mode": 1}
"""


def test_a_wrong_expectation_fails_and_missing_statuses_are_listed(write_file: WriteFile) -> None:
    report = run_cases(PACK, CATALOGS, [write_file("cases.yaml", CASES.replace("expect: fail", "expect: pass"))])
    assert [o.ok for o in report.outcomes] == [True, False]
    assert report.outcomes[1].actual == "fail"
    assert report.missing == {"ODX-001": ["fail", "unknown"]}
    assert not report.ok


def test_coverage_of_the_given_files_only(write_file: WriteFile) -> None:
    text = CASES + '  - {rule: ODX-001, name: not collected, expect: unknown, set: {"nodes[NODE2].odx_mode": null}}\n'
    report = run_cases(PACK, CATALOGS, [write_file("cases.yaml", text)])
    assert report.ok and len(report.outcomes) == 3


def test_unknown_rule_and_bad_keys_in_case_files_are_located(write_file: WriteFile) -> None:
    path = write_file("cases.yaml", "cases:\n  - {rule: NOPE-1, name: x y z, expect: pass}\n  - {rule: ODX-001, name: abc, expect: maybe}\n")
    with pytest.raises(InputError) as exc:
        run_cases(PACK, CATALOGS, [path])
    rendered = [p.render() for p in exc.value.problems]
    assert any(":3:" in r and "'maybe' is not one of" in r for r in rendered), rendered


def test_rules_test_command(write_file: WriteFile, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test"]) == 0
    assert f"cases passed over {len(PACK.rules)} rules" in capsys.readouterr().out
    assert main(["rules", "test", str(write_file("cases.yaml", CASES))]) == 1
    out = capsys.readouterr().out
    assert "MISSING ODX-001: no unknown case" in out


def test_rules_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "explain", "ddp-003"]) == 0
    out = capsys.readouterr().out
    for text in ("DDP-003", "severity   critical (blocking)", "phases     mixed, post", "volume.possible_owners",
                 "Remediation:", "https://learn.microsoft.com/archive/technet-wiki/31038"):
        assert text in out
    assert main(["rules", "explain", "DDP-999"]) == 64
    assert "DDP-003" in capsys.readouterr().err


def test_rules_list_by_tags_and_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--tags", "dedup"]) == 0
    out = capsys.readouterr().out
    assert "DDP-003" in out and "CLU-001" not in out
    assert main(["rules", "list", "--skip-tags", "attestation", "--target", "2016"]) == 0
    out = capsys.readouterr().out
    assert "FW-002" not in out and "CLU-021" not in out and "FW-001" in out


def test_select_matches_tags_ids_and_areas() -> None:
    assert {r.id for r in PACK.select(tags=["DDP-003", "registry"]).rules} == {"DDP-003", "REG-001", "REG-002"}
    skipped = PACK.select(skip_tags=["drivers"])
    assert not any(r.area == "drivers" for r in skipped.rules)
    assert skipped.selection == {"tags": [], "skip_tags": ["drivers"]}


def test_target_profile_applies_path_rules_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_2016 = main(["evaluate", "examples/pre-healthy-2012r2.json", "--format", "json", "--target", "2016"])
    out_2016 = capsys.readouterr().out
    assert code_2016 == 0 and '"S2D-004"' not in out_2016
    assert main(["evaluate", "examples/pre-healthy-2012r2.json", "--target", "2019"]) == 2  # CLU-011: one hop at a time
