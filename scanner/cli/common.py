"""Options and helpers shared by the commands that evaluate rules."""
from __future__ import annotations

import argparse
import sys

from scanner.atomic import write_atomic
from scanner.engine.attestations import load_attestations
from scanner.engine.catalogs import Catalog, load_catalogs
from scanner.engine.loader import RulePack, load_rules
from scanner.engine.waivers import load_waivers
from scanner.model import PHASES
from scanner.versions import RELEASES

TARGETS = ("2016", "2019", "2022", "2025")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def add_upgrade_options(p: argparse.ArgumentParser, *, required: bool = False, default: str = "") -> None:
    """--phase, --target-os (alias --target: the upgrade-path profile) and --source-os, one spelling
    for every command. `default` says where a value comes from when it is not given."""
    note = f" (default: {default})" if default and not required else ""
    p.add_argument("--phase", choices=PHASES, required=required, help=f"upgrade phase: pre, mixed or post{note}")
    p.add_argument("--target-os", "--target", dest="target_os", choices=TARGETS, required=required,
                   help="the release being rolled onto; selects the upgrade-path profile (2012R2→2016, "
                        f"2016→2019, 2019→2022, 2022→2025){note}")
    p.add_argument("--source-os", choices=RELEASES, help="the release being upgraded from (default: the oldest node's)")


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """--rules, --catalog, --tags/--skip-tags, --waivers, --attestations."""
    p.add_argument("--rules", action="append", metavar="PATH",
                   help="rule file or directory (repeatable; default: the shipped rules/)")
    p.add_argument("--catalog", action="append", metavar="DIR", default=[],
                   help="extra catalog directory layered over rules/data, overriding entries by key (repeatable)")
    p.add_argument("--tags", action="extend", type=_words, default=[], metavar="TAG[,TAG]",
                   help="only rules with one of these tags (a tag may also be a rule id, area or scope)")
    p.add_argument("--skip-tags", action="extend", type=_words, default=[], metavar="TAG[,TAG]",
                   help="leave out rules with any of these tags (or ids, areas, scopes)")
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
