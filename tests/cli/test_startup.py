"""Start-up: `rollready --help` and a command's parser load only what they use (behaviour, not timing)."""
from __future__ import annotations

import subprocess
import sys

from scanner.cli import build_parser
from scanner.cli.commands import COMMANDS

HEAVY = ("weasyprint", "pypsrp", "requests", "jsonschema", "jinja2", "rich", "cryptography", "scanner.engine",
         "scanner.collect.winrm", "scanner.report.writer")


def _imported_by(args: list[str]) -> set[str]:
    probe = ("import sys\nfrom scanner.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('\\n'.join(sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
    return set(out.stderr.split())


def test_help_imports_no_collection_engine_or_report_library() -> None:
    modules = _imported_by(["--help"])
    assert "scanner.cli" in modules
    assert not [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_rules_list_does_not_load_the_collection_or_report_side() -> None:
    modules = _imported_by(["rules", "list"])
    assert "scanner.engine.loader" in modules
    assert not [m for m in modules if m.split(".")[0] in ("weasyprint", "pypsrp", "requests", "jsonschema")]


def test_the_command_table_and_the_command_modules_agree() -> None:
    parser = build_parser()  # every module loaded
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert list(choices) == list(COMMANDS)
    listed = build_parser(["--help"])
    assert list(next(a for a in listed._actions if a.dest == "command").choices) == list(choices)
