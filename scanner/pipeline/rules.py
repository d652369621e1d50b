"""The rule pack and catalogs a run evaluates, loaded once from RuleOptions."""
from __future__ import annotations

from dataclasses import dataclass

from scanner.engine.catalogs import Catalog
from scanner.engine.loader import RulePack
from scanner.exception_files import load_attestations, load_waivers
from scanner.pipeline.options import RuleOptions
from scanner.rulefiles import load_catalogs, load_rules


@dataclass(frozen=True)
class LoadedRules:
    """The rule pack as selected for this run (carrying its waivers and attestations, which
    evaluate_facts applies by default) and the layered catalogs."""

    pack: RulePack
    catalogs: dict[str, Catalog]


def load_rule_set(options: RuleOptions) -> LoadedRules:
    """Load and select the rules, exceptions and catalogs. Bad files: InputError (65), before any
    node is contacted."""
    pack = load_rules(options.rules).select(options.tags, options.skip_tags)
    exceptions = load_waivers(options.waivers), load_attestations(options.attestations)
    return LoadedRules(pack.with_exceptions(*exceptions), load_catalogs(options.catalogs))
