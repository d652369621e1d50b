"""Catalogs: shipped data is schema-valid, --catalog layers override by key and win on patterns,
findings name the deciding file, bad files are located, missing keys are errors."""
from __future__ import annotations

from pathlib import Path

import factory
import pytest

from scanner import paths
from scanner.cli import main
from scanner.engine.run import evaluate_facts
from scanner.errors import InputError
from scanner.rulefiles import load_catalogs, load_rules

PACK = load_rules()
SOPHOS_2016 = """\
catalog: av_products
entries:
  - key: sophos-endpoint
    match: "^Sophos (Endpoint Agent|Anti-Virus)"
    min_version: {"2016": "2024.1.0"}
    source: our vendor statement of 2026-10
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    p = directory / name
    p.write_text(text)
    return p


def av_findings(catalogs: dict) -> list:
    _, findings = evaluate_facts(factory.facts(), PACK, catalogs, phase="pre", target_os="2016")
    return [f for f in findings if f.rule_id == "AV-003" and f.status != "not_applicable"]


def test_shipped_catalogs_load_and_name_their_files() -> None:
    catalogs = load_catalogs()
    assert {"os_releases", "required_updates", "known_bad_updates", "av_products", "backup_products",
            "driver_minimums", "firmware_minimums"} <= set(catalogs)
    assert catalogs["required_updates"].entry("2016").data["s2d_min_version"] == "10.0.14393.2828"
    assert catalogs["known_bad_updates"].entry("kb5062557").data["fixed_by"] == ["KB5063877"]


def test_findings_name_the_shipped_catalog_file() -> None:
    findings = av_findings(load_catalogs())
    assert {f.status for f in findings} == {"pass"}
    assert all(f.catalog == str(paths.DATA_DIR / "av_products.yaml") for f in findings)


def test_a_layer_overrides_an_entry_by_key_and_the_finding_names_the_layer(tmp_path: Path) -> None:
    layer = write(tmp_path / "ours", "av.yaml", SOPHOS_2016)
    catalogs = load_catalogs([layer.parent])
    entry = catalogs["av_products"].entry("sophos-endpoint")
    assert entry is not None and entry.source == str(layer)
    assert catalogs["av_products"].entry("defender") is not None  # the other shipped entries stay
    findings = av_findings(catalogs)
    assert {f.status for f in findings} == {"fail"}  # Sophos 2023.2.1 < 2024.1.0 in our catalog
    assert all(f.catalog == str(layer) for f in findings)


def test_a_layers_patterns_are_tried_before_the_shipped_ones(tmp_path: Path) -> None:
    layer = write(tmp_path / "ours", "av.yaml", SOPHOS_2016.replace("key: sophos-endpoint", "key: sophos-our-build"))
    catalogs = load_catalogs([layer.parent])
    entry = catalogs["av_products"].match("Sophos Endpoint Agent")
    assert entry is not None and entry.key == "sophos-our-build"


def test_missing_catalog_key_is_an_error_finding_naming_the_file() -> None:
    symantec = factory.facts()
    symantec["nodes"][0]["products"] = [{"name": "Symantec Endpoint Protection", "version": "14.3.1"}]
    _, findings = evaluate_facts(symantec, PACK, load_catalogs(), phase="pre", target_os="2025")
    (f,) = [f for f in findings if f.rule_id == "AV-003" and f.subject.startswith("NODE1:")]
    assert f.status == "error"
    assert "min_version.2025" in (f.detail or "")
    assert f.catalog == str(paths.DATA_DIR / "av_products.yaml")


@pytest.mark.parametrize("text, expected", [
    (SOPHOS_2016.replace('{"2016": "2024.1.0"}', '{"2016": "new"}'), ":5:27: entries/0/min_version/2016: 'new' does not match"),
    (SOPHOS_2016.replace('{"2016"', '{"2013"'), ":5:18: entries/0/min_version: '2013' is not one of"),
    (SOPHOS_2016.replace('"^Sophos (Endpoint Agent|Anti-Virus)"', '"^Sophos ("'), ":4:12: bad regex"),
    (SOPHOS_2016 + SOPHOS_2016.split("entries:\n")[1], ":7:10: duplicate key 'sophos-endpoint'"),
    ("catalog: known_bad_updates\nentries:\n  - {key: KB5062557, release: '2019'}\n", ":3:5: entries/0: 'fixed_by' is a required property"),
])
def test_bad_catalog_files_are_located(tmp_path: Path, text: str, expected: str) -> None:
    layer = write(tmp_path / "ours", "cat.yaml", text)
    with pytest.raises(InputError) as exc:
        load_catalogs([layer.parent])
    rendered = [p.render() for p in exc.value.problems]
    assert any(r.startswith(str(layer)) and expected in r for r in rendered), rendered


def test_bad_catalog_exits_65(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = write(tmp_path / "ours", "cat.yaml", SOPHOS_2016.replace('"2024.1.0"', '"x"'))
    assert main(["evaluate", "examples/pre-healthy-2012r2.json", "--catalog", str(layer.parent)]) == 65
    assert f"{layer}:5" in capsys.readouterr().err


def test_validate_names_rules_that_refer_to_missing_catalogs_keys_or_fields(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    text = (paths.RULES_DIR / "dedup.yaml").read_text()
    broken = text.replace('key: "2016", field: dedup_fix_kb', 'key: "2017", field: dedup_fix_kb')
    broken = broken.replace('key: "2016", field: dedup_fix_version', 'key: "2016", field: dedup_fix_build')
    path = write(tmp_path, "dedup.yaml", broken)
    assert main(["rules", "validate", str(path)]) == 65
    err = capsys.readouterr().err
    assert "has no key '2017' (rule DDP-004)" in err
    assert "entry '2016' has no 'dedup_fix_build'" in err
    assert main(["rules", "validate"]) == 0
