"""What every shipped rule and catalog entry must declare: the upgrade paths a rule applies to, and
the vendor lifecycle (with its source and the day it was checked) of every release and product."""
from __future__ import annotations

from datetime import datetime, timezone

from scanner.engine.evaluate import evaluate_pack
from scanner.engine.loader import ALL_TARGETS
from scanner.facts.view import build_view
from scanner.rulefiles import load_catalogs, load_rules
from tests.factory import facts

PACK = load_rules()
CATALOGS = load_catalogs()


def test_every_shipped_rule_declares_its_upgrade_paths() -> None:
    for rule in PACK.rules:
        assert rule.targets, f"{rule.id} ({rule.file}:{rule.line}) does not declare its targets"
        assert set(rule.targets) <= set(ALL_TARGETS), rule.id


def test_path_limited_rules_are_those_of_their_paths() -> None:
    by_id = {r.id: r for r in PACK.rules}
    assert by_id["BKP-002"].targets == ("2016",)  # Veeam RCT after 2012 R2 -> 2016 only
    assert by_id["S2D-004"].targets == ("2019",)
    assert set(by_id["DDP-004"].targets) == {"2016", "2019"}  # 2016 nodes exist on these paths only
    assert not by_id["CLU-001"].path_specific and by_id["BKP-002"].path_specific


def test_a_rule_of_another_path_is_not_evaluated_and_a_general_rule_needs_no_target() -> None:
    view = build_view(facts())
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    params = {"phase": "mixed", "source_os": "2016", "target_os": "2022"}
    ids = {f.rule_id for f in evaluate_pack(PACK, view, params, CATALOGS, now)}
    assert "BKP-002" not in ids and "DDP-004" not in ids and "VER-002" in ids
    no_target = evaluate_pack(PACK, view, {"phase": "pre", "source_os": "2012R2", "target_os": None}, CATALOGS, now)
    general = [f for f in no_target if f.rule_id == "CLU-001"]
    assert general and general[0].status == "pass"


def test_every_release_and_product_entry_carries_a_dated_lifecycle() -> None:
    for name in ("os_releases", "av_products", "backup_products"):
        for entry in CATALOGS[name].entries.values():
            life = entry.data.get("lifecycle")
            assert life and life.get("source") and life.get("checked"), f"{name}:{entry.key}"
    for entry in CATALOGS["os_releases"].entries.values():
        assert entry.data["lifecycle"].get("end_of_support"), entry.key


def test_update_baselines_are_dated_and_checked() -> None:
    for entry in CATALOGS["required_updates"].entries.values():
        assert entry.data.get("baseline_date") and entry.data.get("baseline_checked"), entry.key
        assert entry.data.get("baseline_policy") in ("latest", "minimum"), entry.key
    assert CATALOGS["required_updates"].entry("2019").data["s2d_kb"] == "KB4476976"  # 17763.292, not KB4480116
