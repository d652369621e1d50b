"""Options and helpers shared by the commands that evaluate rules."""
from __future__ import annotations

import argparse
import sys

from scanner.atomic import write_atomic
from scanner.engine.attestations import load_attestations
from scanner.engine.catalogs import Catalog, load_catalogs
from scanner.engine.loader import RulePack, load_rules
from scanner.engine.waivers import load_waivers

TARGETS = ("2016", "2019", "2022", "2025")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """--rules, --catalog, --tags/--skip-tags, --target, --waivers, --attestations."""
    p.add_argument("--rules", action="append", metavar="PATH",
                   help="rule file or directory (repeatable; default: the shipped rules/)")
    p.add_argument("--catalog", action="append", metavar="DIR", default=[],
                   help="extra catalog directory layered over rules/data, overriding entries by key (repeatable)")
    p.add_argument("--tags", action="extend", type=_words, default=[], metavar="TAG[,TAG]",
                   help="only rules with one of these tags (a tag may also be a rule id, area or scope)")
    p.add_argument("--skip-tags", action="extend", type=_words, default=[], metavar="TAG[,TAG]",
                   help="leave out rules with any of these tags (or ids, areas, scopes)")
    p.add_argument("--target", dest="target_os", choices=TARGETS, default=None,
                   help="upgrade path profile: the release being rolled onto (2012R2→2016, 2016→2019, "
                        "2019→2022, 2022→2025); same as --target-os")
    p.add_argument("--waivers", action="append", metavar="FILE", default=[],
                   help="waivers file (repeatable): accepted, justified, expiring exceptions")
    p.add_argument("--attestations", action="append", metavar="FILE", default=[],
                   help="attestations file (repeatable): signed statements deciding manual checks")


def load_pack_and_catalogs(args: argparse.Namespace) -> tuple[RulePack, dict[str, Catalog]]:
    """The rule pack as selected for this run (tags) and carrying its waivers and attestations,
    which evaluate_facts applies by default; and the layered catalogs. Bad files: InputError (65)."""
    pack = load_rules(args.rules).select(getattr(args, "tags", ()), getattr(args, "skip_tags", ()))
    waivers = load_waivers(getattr(args, "waivers", ()))
    attestations = load_attestations(getattr(args, "attestations", ()))
    return pack.with_exceptions(waivers, attestations), load_catalogs(args.catalog)


def write_output(out: str | None, text: str | bytes) -> None:
    if out:
        write_atomic(out, text)
    elif isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
