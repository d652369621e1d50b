"""Options and helpers shared by the commands that evaluate rules."""
from __future__ import annotations

import argparse
import sys

from scanner.atomic import write_atomic
from scanner.model import PHASES
from scanner.pipeline.options import RuleOptions
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


def rule_options(args: argparse.Namespace) -> RuleOptions:
    """The options add_rule_options defined, as the pipeline takes them."""
    return RuleOptions(
        rules=tuple(args.rules) if args.rules is not None else None, catalogs=tuple(args.catalog),
        tags=tuple(getattr(args, "tags", ())), skip_tags=tuple(getattr(args, "skip_tags", ())),
        waivers=tuple(getattr(args, "waivers", ())), attestations=tuple(getattr(args, "attestations", ())))


def write_output(out: str | None, text: str | bytes) -> None:
    if out:
        write_atomic(out, text)
    elif isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
