"""`rollready rules`: list, validate, explain and test rule packs."""
from __future__ import annotations

import argparse
import textwrap

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner import exitcodes
from scanner.cli.common import TARGETS, add_rule_options, rule_options
from scanner.engine.catalogs import reference_problems
from scanner.engine.condition import facts_read
from scanner.engine.loader import Rule
from scanner.errors import InputError, UsageError
from scanner.model import PHASES
from scanner.pipeline import load_rule_set
from scanner.rulefiles import load_catalogs, load_rules
from scanner.ruletest import Report, run_cases

DESCRIPTION = None  # its sub-commands describe themselves


def register(p: argparse.ArgumentParser) -> None:
    rsub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True, parser_class=type(p))
    lst = rsub.add_parser("list", help="list the rules")
    add_rule_options(lst)
    lst.add_argument("--phase", choices=PHASES, help="only rules of this phase")
    lst.add_argument("--target-os", "--target", dest="target_os", choices=TARGETS,
                     help="only rules of this upgrade-path profile")
    lst.set_defaults(func=run_list)
    val = rsub.add_parser("validate", help="check rule files and catalogs; every problem with file:line:column")
    val.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: rules/)")
    val.add_argument("--catalog", action="append", metavar="DIR", default=[])
    val.set_defaults(func=run_validate)
    exp = rsub.add_parser("explain", help="what a rule checks, the facts it reads, severity, phases, references")
    exp.add_argument("rule_id", metavar="ID")
    add_rule_options(exp)
    exp.set_defaults(func=run_explain)
    tst = rsub.add_parser("test", help="run the rule fixture cases (rules/tests/*.yaml)",
                          description="Run fixture cases: a base facts document changed by the case, evaluated with "
                                      "one rule, its worst status compared with the case's expect. Exit 0 when all "
                                      "pass and every rule has a pass, a fail and an unknown case; 1 otherwise.")
    tst.add_argument("paths", nargs="*", metavar="PATH", help="case files or directories (default: rules/tests/)")
    tst.add_argument("--rules", action="append", metavar="PATH", help="rule files or directories (default: rules/)")
    tst.add_argument("--catalog", action="append", metavar="DIR", default=[])
    tst.add_argument("-v", "--verbose", action="store_true", help="list every case, not only failures")
    tst.set_defaults(func=run_test)


def run_list(args: argparse.Namespace) -> int:
    pack = load_rule_set(rule_options(args)).pack
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "severity", "phases", "scope", "area", "title"):
        table.add_column(col)
    rules = [r for r in pack.rules if args.phase is None or args.phase in r.phases]
    rules = [r for r in rules if r.applies_to_target(args.target_os)]
    for r in rules:
        kind = " (attestation)" if r.kind == "attestation" else ""
        table.add_row(r.id, r.severity, ",".join(r.phases), r.scope, r.area, Text(r.title + kind))
    console = Console(width=160)
    console.print(table)
    per_phase = {ph: sum(ph in r.phases for r in rules) for ph in PHASES}
    console.print(f"{len(rules)} rules ({', '.join(f'{k}: {v}' for k, v in per_phase.items())})")
    return exitcodes.GO


def run_validate(args: argparse.Namespace) -> int:
    pack = load_rules(args.paths or None)
    catalogs = load_catalogs(args.catalog)
    problems = reference_problems(pack.rules, catalogs)
    if problems:
        raise InputError(problems)
    print(f"ok: {len(pack.rules)} rules in {len(pack.files)} file(s), {len(catalogs)} catalog(s); sha256 {pack.sha256}")
    return exitcodes.GO


def explain(rule: Rule) -> str:
    """Plain text: what the rule checks and how to act on it."""
    wrap = lambda text, indent="  ": textwrap.fill(" ".join(text.split()), 100, initial_indent=indent,  # noqa: E731
                                                   subsequent_indent=indent)
    lines = [f"{rule.id}  {rule.title}", ""]
    lines.append(f"  severity   {rule.severity}{' (blocking)' if rule.blocking else ''}"
                 f"{'  UNVERIFIED: never blocks alone' if rule.unverified else ''}")
    lines.append(f"  kind       {rule.kind}{' (manual until attested in attestations.yaml)' if rule.kind == 'attestation' else ''}")
    lines.append(f"  phases     {', '.join(rule.phases)}")
    lines.append(f"  targets    {', '.join(rule.targets) if rule.path_specific else 'every upgrade path'}")
    lines.append(f"  scope      {rule.scope} (one finding per {rule.scope})")
    lines.append(f"  area       {rule.area}")
    if rule.tags:
        lines.append(f"  tags       {', '.join(rule.tags)}")
    lines.append(f"  defined    {rule.file}:{rule.line}")
    if rule.description:
        lines += ["", "What it checks:", wrap(rule.description)]
    lines += ["", "Facts it reads:"] + [f"  {f}" for f in facts_read([rule.when, rule.check], aliases={})]
    if rule.when is not None:
        lines += ["", "Applies when:"] + rule.when.describe(1)
    if rule.check is not None:
        lines += ["", "Passes when:"] + rule.check.describe(1)
    lines += ["", "Message on failure (template):", wrap(rule.message), "", "Remediation:", wrap(rule.remediation),
              "", "References:"] + [f"  {ref}" for ref in rule.references]
    return "\n".join(lines) + "\n"


def run_explain(args: argparse.Namespace) -> int:
    pack = load_rule_set(rule_options(args)).pack
    rule = pack.by_id(args.rule_id) or next((r for r in pack.rules if r.id.casefold() == args.rule_id.casefold()), None)
    if rule is None:
        close = [r.id for r in pack.rules if r.id.split("-")[0] == args.rule_id.upper().split("-")[0]]
        hint = f"; rules of that family: {', '.join(close)}" if close else "; see `rollready rules list`"
        raise UsageError(f"no rule {args.rule_id!r}{hint}")
    print(explain(rule), end="")
    return exitcodes.GO


def render_report(report: Report, verbose: bool) -> str:
    lines = []
    for o in report.outcomes:
        if o.ok and not verbose:
            continue
        mark = "ok  " if o.ok else "FAIL"
        line = f"{mark} {o.case.rule} {o.case.name!r}: expected {o.case.expect}, got {o.actual}  ({o.case.where})"
        if not o.ok:
            if o.problem:
                line += f"\n       {o.problem}"
            for f in o.findings:
                if f.status != "not_applicable":
                    line += f"\n       {f.subject}: {f.status}" + (f" - {f.detail}" if f.detail else "")
        lines.append(line)
    for rule_id, missing in sorted(report.missing.items()):
        lines.append(f"MISSING {rule_id}: no {', '.join(missing)} case")
    passed = sum(o.ok for o in report.outcomes)
    rules = len({o.case.rule for o in report.outcomes})
    lines.append(f"{passed}/{len(report.outcomes)} cases passed over {rules} rules"
                 + (f"; {len(report.missing)} rule(s) without a pass, fail and unknown case" if report.missing else ""))
    return "\n".join(lines) + "\n"


def run_test(args: argparse.Namespace) -> int:
    pack = load_rules(args.rules)
    catalogs = load_catalogs(args.catalog)
    report = run_cases(pack, catalogs, args.paths or None)
    print(render_report(report, args.verbose), end="")
    return exitcodes.GO if report.ok else exitcodes.GO_WITH_WARNINGS
