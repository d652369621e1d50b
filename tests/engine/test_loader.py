"""Rule loading: every problem, with file:line:column, and nothing loaded half-way."""
from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine.scopes import SCOPES
from scanner.errors import InputError
from scanner.facts.document import schema as facts_schema  # noqa: F401  (schemas load)
from scanner.rulefiles import load_rules

GOOD = """\
rules:
  - id: T-001
    title: A test rule
    severity: high
    phases: [pre]
    scope: node
    area: health
    check: {fact: node.reachable, equals: true}
    message: "{{ node.name }} is down"
    remediation: Fix it.
    references: [https://example.invalid/doc]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_rules(paths)
    return [p.render() for p in exc.value.problems]


def test_shipped_rules_load() -> None:
    pack = load_rules()
    assert len(pack.rules) >= 15
    assert {p for r in pack.rules for p in r.phases} == {"pre", "mixed", "post"}
    assert len(pack.sha256) == 64


def test_a_good_file_loads(tmp_path: Path) -> None:
    pack = load_rules([write(tmp_path, "a.yaml", GOOD)])
    assert [r.id for r in pack.rules] == ["T-001"]
    assert pack.rules[0].line == 2 and pack.rules[0].blocking


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    (msg,) = problems_of(write(tmp_path, "bad.yaml", GOOD + "  - id: [unclosed\n"))
    assert msg.startswith(f"{tmp_path}/bad.yaml:13:1:") and "YAML syntax" in msg


def test_unknown_operator_is_located(tmp_path: Path) -> None:
    text = GOOD.replace("equals: true", "equalz: true")
    (msg,) = problems_of(write(tmp_path, "op.yaml", text))
    assert msg == f"{tmp_path}/op.yaml:8:43: unknown operator 'equalz' (rule T-001)"


def test_all_problems_in_all_files_are_reported(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GOOD.replace("severity: high", "severity: severe"))
    b = write(tmp_path, "b.yaml", GOOD.replace("matches", "x").replace("equals: true", "matches: '(bad'"))
    c = write(tmp_path, "c.yaml", GOOD)
    d = write(tmp_path, "d.yaml", GOOD)  # duplicate id of c
    msgs = problems_of(a, b, c, d)
    assert any("a.yaml:4:" in m and "severe" in m for m in msgs)
    assert any("b.yaml:8:" in m and "bad regex" in m for m in msgs)
    assert any("d.yaml:2:" in m and "duplicate rule id T-001" in m and "c.yaml:2" in m for m in msgs)
    assert len(msgs) == 3


def test_missing_fields_and_duplicate_keys(tmp_path: Path) -> None:
    msgs = problems_of(write(tmp_path, "m.yaml", GOOD.replace("    remediation: Fix it.\n", "    title: again\n")))
    assert any("duplicate key 'title'" in m and ":10:" in m for m in msgs)


def test_template_syntax_is_checked(tmp_path: Path) -> None:
    (msg,) = problems_of(write(tmp_path, "t.yaml", GOOD.replace("{{ node.name }}", "{{ node.name ")))
    assert "template syntax" in msg and "t.yaml:9:" in msg


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    (msg,) = problems_of(write(tmp_path, "bomb.yaml", bomb))
    assert "alias bomb" in msg


def test_schema_scopes_match_the_registry() -> None:
    import json

    from scanner import paths

    schema = json.loads((paths.SCHEMAS_DIR / "rule.schema.json").read_text())
    assert set(schema["$defs"]["rule"]["properties"]["scope"]["enum"]) == set(SCOPES)


def test_empty_or_missing_location(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no rule files"):
        load_rules([tmp_path])
    msgs = problems_of(tmp_path / "absent.yaml")
    assert "absent.yaml" in msgs[0] and "cannot read" in msgs[0]


def test_impossible_dates_are_located_not_raised(tmp_path: Path) -> None:
    (msg,) = problems_of(write(tmp_path, "d.yaml", GOOD + "    when_date: 2026-02-30\n"))
    assert "d.yaml:12:" in msg and "bad value '2026-02-30'" in msg


def test_a_template_nested_too_deeply_is_one_located_problem(tmp_path: Path) -> None:
    """Found by tests/fuzz: Jinja2's parser recursed out of the stack on a mutated message."""
    text = GOOD.replace('"{{ node.name }} is down"', '"{{ ' + "[" * 3000 + "]" * 3000 + ' }}"')
    (msg,) = problems_of(write(tmp_path, "deep.yaml", text))
    assert msg.startswith(f"{tmp_path}/deep.yaml:") and "template nests too deeply (rule T-001)" in msg
