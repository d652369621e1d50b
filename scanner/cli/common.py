"""Options and helpers shared by the commands that evaluate rules."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.atomic import write_atomic
from scanner.errors import UsageError
from scanner.model import PHASES
from scanner.pipeline.options import RuleOptions
from scanner.report.signing import SigningKey, check_key
from scanner.versions import RELEASES

if TYPE_CHECKING:
    from scanner.credentials import CredentialResolver

TARGETS = ("2016", "2019", "2022", "2025")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def add_upgrade_options(p: argparse.ArgumentParser, *, required: bool = False, default: str = "",
                        phase_required: bool | None = None) -> None:
    """--phase, --target-os (alias --target: the upgrade-path profile) and --source-os, one spelling
    for every command. `default` says where a value comes from when it is not given. The phase the
    facts show selects the rules; --phase states the phase the operator expects (docs/engine.md)."""
    note = f" (default: {default})" if default and not required else ""
    need_phase = required if phase_required is None else phase_required
    p.add_argument("--phase", choices=PHASES, required=need_phase,
                   help="the upgrade phase you expect: pre, mixed or post; the facts decide which rules run and a "
                        f"mismatch is reported{note if not need_phase else ''}")
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


SIGN_PASSWORD_ENV = "ROLLREADY_SIGN_PASSWORD"


def add_signing_options(p: argparse.ArgumentParser) -> None:
    """--sign-key FILE.p12 and --timestamp-url URL, for every command that writes a PDF."""
    g = p.add_argument_group("signing the PDF")
    g.add_argument("--sign-key", metavar="FILE.p12",
                   help=f"sign the PDF (PAdES) with this PKCS#12 key; its password comes from {SIGN_PASSWORD_ENV} "
                        "or a prompt, never the command line")
    g.add_argument("--timestamp-url", metavar="URL", help="RFC 3161 time-stamping authority to countersign with")


def terminal_prompt() -> Callable[[str], str] | None:
    """Asks for a password without echo when stdin is a terminal; None when there is nobody to ask
    (the library then says which setting to use instead: scanner/credentials.py)."""
    return getpass.getpass if sys.stdin.isatty() else None


def cli_resolver(*, interactive: bool = True) -> CredentialResolver:
    """The credential resolver of a command: the environment, the keyring, and the terminal's prompt
    unless the run is unattended (a scheduled run cannot answer a prompt)."""
    from scanner.credentials import CredentialResolver  # on use: the rule commands never need it

    return CredentialResolver(prompt=terminal_prompt() if interactive else None)


def signing_key(args: argparse.Namespace, *, interactive: bool = True) -> SigningKey | None:
    """The signing key the arguments name, its password read from the environment or asked for."""
    path = getattr(args, "sign_key", None)
    if not path:
        if getattr(args, "timestamp_url", None):
            raise UsageError("--timestamp-url goes with --sign-key")
        return None
    password = os.environ.get(SIGN_PASSWORD_ENV)
    if password is None:
        prompt = terminal_prompt() if interactive else None
        if prompt is None:
            raise UsageError(f"--sign-key {path}: set {SIGN_PASSWORD_ENV} (no terminal to ask for the password)")
        password = prompt(f"password for {path}: ")
    key = SigningKey(Path(path), password.encode("utf-8"), getattr(args, "timestamp_url", None))
    check_key(key)  # a wrong password fails here, before any scan or render
    return key
