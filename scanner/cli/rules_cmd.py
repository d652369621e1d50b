"""`rollready rules`: list and validate rule packs."""
from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from scanner import exitcodes
from scanner.cli.common import add_rule_options, load_pack_and_catalogs
from scanner.engine.catalogs import load_catalogs
from scanner.engine.loader import load_rules
from scanner.model import PHASES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="list, validate and explain rules")
    rsub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True, parser_class=type(p))
    lst = rsub.add_parser("list", help="list the rules")
    add_rule_options(lst)
    lst.add_argument("--phase", choices=PHASES, help="only rules of this phase")
    lst.set_defaults(func=run_list)
    val = rsub.add_parser("validate", help="check rule files and catalogs; every problem with file:line:column")
    val.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: rules/)")
    val.add_argument("--catalog", action="append", metavar="DIR", default=[])
    val.set_defaults(func=run_validate)


def run_list(args: argparse.Namespace) -> int:
    pack, _ = load_pack_and_catalogs(args)
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "severity", "phases", "scope", "area", "title"):
        table.add_column(col)
    rules = [r for r in pack.rules if args.phase is None or args.phase in r.phases]
    for r in rules:
        table.add_row(r.id, r.severity, ",".join(r.phases), r.scope, r.area, r.title)
    console = Console(width=160)
    console.print(table)
    per_phase = {ph: sum(ph in r.phases for r in rules) for ph in PHASES}
    console.print(f"{len(rules)} rules ({', '.join(f'{k}: {v}' for k, v in per_phase.items())})")
    return exitcodes.GO


def run_validate(args: argparse.Namespace) -> int:
    pack = load_rules(args.paths or None)
    catalogs = load_catalogs(args.catalog)
    print(f"ok: {len(pack.rules)} rules in {len(pack.files)} file(s), {len(catalogs)} catalog(s); sha256 {pack.sha256}")
    return exitcodes.GO
