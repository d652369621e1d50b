"""Every loader against mutated and generated input: one-line errors (exit 64/65) or a valid result,
never an internal error (issue #11 §7).

Each test starts from a valid seed file and applies random edits (deleted and replaced spans,
hostile tokens: deep nesting, forced YAML tags, alias bombs, control characters, huge numbers,
Ansible ranges), or writes a generated document. CI runs the bounded profile; the long run is
`ROLLREADY_FUZZ=long pytest tests/fuzz --hypothesis-show-statistics` (docs/reliability.md).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner import exitcodes, paths
from scanner.cli.diff_cmd import load_side
from scanner.cli.report_cmd import load_result
from scanner.collect.offline import read_collector_output
from scanner.engine.run import evaluate_facts
from scanner.errors import RollreadyError
from scanner.exception_files import load_attestations, load_waivers
from scanner.facts.document import load_facts
from scanner.inventory import load_inventory
from scanner.lab import load_scenario, scenario_facts
from scanner.lab.outputs import collector_output
from scanner.rulefiles import load_catalogs, load_rules

# CI runs a bounded sample with fixed seeds (tests/conftest.py); ROLLREADY_FUZZ=long is the long, random
# run whose figures docs/reliability.md records.
LONG = os.environ.get("ROLLREADY_FUZZ") == "long"
FUZZ = settings(max_examples=300 if LONG else 20, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
ROOT = Path(__file__).parents[2]
PACK = load_rules()
CATALOGS = load_catalogs()
FACTS_SEED = (ROOT / "examples" / "pre-healthy-2012r2.json").read_text(encoding="utf-8")
SCENARIO_SEED = (paths.SCENARIOS_DIR / "healthy-2012r2.yaml").read_text(encoding="utf-8")
_SCENARIO = load_scenario(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")
OUTPUT_SEED = json.dumps(collector_output(_SCENARIO, _SCENARIO.nodes[0]), indent=1)
RESULT_SEED = json.dumps(evaluate_facts(json.loads(FACTS_SEED), PACK, CATALOGS, phase="pre", target_os="2016")[0],
                         indent=1, sort_keys=True)
RULES_SEED = (ROOT / "rules" / "registry.yaml").read_text(encoding="utf-8")
CATALOG_SEED = (ROOT / "rules" / "data" / "av_products.yaml").read_text(encoding="utf-8")
INVENTORY_SEED = """clusters:
  - name: FSCLUSTER1
    transport: {scheme: https, auth: ntlm, read_timeout: null, node_timeout: 300}
    credentials: {username: CORP\\\\svc, password_env: ROLLREADY_PASSWORD}
    nodes:
      - {name: NODE1, host: 127.0.0.11}
      - {name: NODE2, host: 127.0.0.12, port: 15986}
"""
ANSIBLE_INI_SEED = """[fscluster1]
node[01:03].corp.example ansible_host=127.0.0.1
[fscluster1:vars]
ansible_connection=psrp
ansible_user=CORP\\svc
rollready_password_env=ROLLREADY_PASSWORD
[clusters:children]
fscluster1
"""
ANSIBLE_YAML_SEED = """all:
  children:
    fscluster1:
      hosts:
        node[1:2].corp.example: {ansible_host: 127.0.0.1}
        node3.corp.example:
      vars: {ansible_connection: psrp, ansible_user: CORP\\\\svc, rollready_password_env: ROLLREADY_PASSWORD}
"""
WAIVERS_SEED = """waivers:
  - id: W-1
    rule: DDP-003
    subject: "Cluster Disk 1"
    node: "NODE1"
    justification: pinned to NODE1 until tonight
    approved_by: CAB (J. Doe)
    expires: 2026-11-27
    ticket: CHG-1042
"""
ATTESTATIONS_SEED = """attestations:
  - id: A-1
    rule: FW-002
    subject: "NODE*"
    statement: HPE supports this firmware on Windows Server 2016 clusters.
    attested_by: J. Doe
    evidence: [https://support.example.test/statement.pdf]
    date: 2026-11-01
    expires: 2027-05-01
"""

HOSTILE = [
    "[" * 300, "{" * 300, "- " * 200, "!!timestamp nope", "!!binary ?", "!!python/object:os.system x", "&a [*a, *a]",
    "*undefined", "\x00", "\x1b[2J", "\u202e", "\ufeff", "\r\n", "\t", "'", '"', "\\", ":", "- ", "? ", "%YAML 1.1\n",
    "---\n", "...\n", "9" * 400, "1e999", "-0", "NaN", "null", "true", "~", "node[1:3:0]", "node[a:zz]",
    "node[1:99999999]", "n[1:9][1:9][1:9][1:9][1:9]", "2026-02-30", "x" * 70_000, "é", "\U0001f600", "<!--",
    "{{ 7*7 }}", "(a+)+$", "(x)\\1",
]
edits = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))),
                 min_size=1, max_size=4)


def mutate(seed: str, changes: list[tuple[float, int, str]]) -> str:
    """Replace `length` characters at each relative position with a token."""
    text = seed
    for where, length, token in changes:
        at = int(where * len(text))
        text = text[:at] + token + text[at + length:]
    return text


scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=20),
                    st.sampled_from(HOSTILE))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                         max_leaves=20)


def outcome(load: Callable[[Path], Any], text: str, name: str) -> Any:
    """Load text written to a file named name: a value, or a RollreadyError that is one line per
    problem and a usage/input exit code. Anything else escapes and fails the test."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            return load(path)
        except RollreadyError as exc:
            assert exc.exit_code in (exitcodes.USAGE, exitcodes.DATAERR), exc
            assert exc.problems
            for problem in exc.problems:
                rendered = problem.render()
                assert "\n" not in rendered and "Traceback" not in rendered
            return exc


def _facts(path: Path) -> Any:
    facts = load_facts(path)
    return evaluate_facts(facts, PACK, CATALOGS, phase="pre", target_os="2016")  # valid facts: the engine runs too


def _scenario(path: Path) -> Any:
    scenario = load_scenario(path)
    facts = scenario_facts(scenario)  # what the lab answers a scan with: a loaded scenario must serve
    return evaluate_facts(facts, PACK, CATALOGS, phase="pre", target_os="2016")


def _catalog(path: Path) -> Any:
    layer = path.parent / "layer"
    layer.mkdir()
    path.rename(layer / "fuzzed.yaml")
    return load_catalogs([layer])


LOADERS: dict[str, tuple[Callable[[Path], Any], str, str]] = {
    "facts": (_facts, FACTS_SEED, "facts.json"),
    "collector-output": (read_collector_output, OUTPUT_SEED, "NODE1.json"),
    "findings-report": (lambda p: load_result(str(p)), RESULT_SEED, "findings.json"),
    "findings-diff": (lambda p: load_side("before", str(p), None), RESULT_SEED, "findings.json"),
    "facts-diff": (lambda p: load_side("before", str(p), None), FACTS_SEED, "facts.json"),
    "rules": (lambda p: load_rules([p]), RULES_SEED, "rules.yaml"),
    "catalog": (_catalog, CATALOG_SEED, "catalog.yaml"),
    "inventory": (load_inventory, INVENTORY_SEED, "inventory.yaml"),
    "ansible-ini": (load_inventory, ANSIBLE_INI_SEED, "hosts"),
    "ansible-yaml": (load_inventory, ANSIBLE_YAML_SEED, "hosts.yaml"),
    "waivers": (lambda p: load_waivers([p]), WAIVERS_SEED, "waivers.yaml"),
    "attestations": (lambda p: load_attestations([p]), ATTESTATIONS_SEED, "attestations.yaml"),
    "scenario": (_scenario, SCENARIO_SEED, "scenario.yaml"),
}


@pytest.mark.parametrize("kind", LOADERS)
def test_the_seeds_are_valid(kind: str) -> None:
    load, seed, name = LOADERS[kind]
    assert not isinstance(outcome(load, seed, name), RollreadyError)


@pytest.mark.parametrize("kind", LOADERS)
@FUZZ
@given(changes=edits)
def test_mutated_input_is_a_clean_error_or_valid(kind: str, changes: list[tuple[float, int, str]]) -> None:
    load, seed, name = LOADERS[kind]
    outcome(load, mutate(seed, changes), name)


@pytest.mark.parametrize("kind", LOADERS)
@FUZZ
@given(doc=documents, as_yaml=st.booleans())
def test_generated_documents_are_a_clean_error_or_valid(kind: str, doc: Any, as_yaml: bool) -> None:
    load, _, name = LOADERS[kind]
    text = yaml.safe_dump(doc, allow_unicode=True) if as_yaml else json.dumps(doc)
    outcome(load, text, name)


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize("depth", [100, 500, 1000, 5000])
def test_deep_nesting_is_one_line(kind: str, depth: int) -> None:
    load, _, name = LOADERS[kind]
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth, "a: " + "[" * depth + "]" * depth):
        assert isinstance(outcome(load, text, name), RollreadyError)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed document, containers and leaves (the root excluded)."""
    found = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replaced(doc[head], tuple(rest), value)
    return copy


STRUCTURED = {kind: yaml.safe_load(seed) for kind, (_, seed, _) in LOADERS.items()
              if kind != "ansible-ini"}  # every seed but the INI one is YAML or JSON


@pytest.mark.parametrize("kind", STRUCTURED)
@FUZZ
@given(data=st.data())
def test_a_value_replaced_anywhere_is_a_clean_error_or_valid(kind: str, data: st.DataObject) -> None:
    """Structure-aware: the seed stays well-formed and one value at any depth becomes anything
    (another type, a hostile string, a huge number, a nested document), which reaches the code behind
    the syntax and the schema far more often than edits to the text."""
    load, _, name = LOADERS[kind]
    seed = STRUCTURED[kind]
    path = data.draw(st.sampled_from(_paths(seed)))
    doc = _replaced(seed, path, data.draw(documents))
    text = json.dumps(doc, default=str) if name.endswith(".json") else yaml.safe_dump(doc, allow_unicode=True)
    outcome(load, text, name)
