"""Options and helpers shared by the commands that evaluate rules."""
from __future__ import annotations

import argparse
import sys

from scanner.atomic import write_atomic
from scanner.engine.catalogs import Catalog, load_catalogs
from scanner.engine.loader import RulePack, load_rules


def add_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", action="append", metavar="PATH",
                   help="rule file or directory (repeatable; default: the shipped rules/)")
    p.add_argument("--catalog", action="append", metavar="DIR", default=[],
                   help="extra catalog directory layered over rules/data (repeatable)")


def load_pack_and_catalogs(args: argparse.Namespace) -> tuple[RulePack, dict[str, Catalog]]:
    return load_rules(args.rules), load_catalogs(args.catalog)


def write_output(out: str | None, text: str | bytes) -> None:
    if out:
        write_atomic(out, text)
    elif isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
