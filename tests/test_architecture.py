"""The house rules the module structure keeps (docs/architecture.md), read from the source's syntax
tree: only scanner/cli/ reads arguments, reads the terminal, prints and exits; the engine never reads
a file."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCANNER = Path(__file__).resolve().parent.parent / "scanner"
CLI = SCANNER / "cli"
ENGINE = SCANNER / "engine"
ENTRY_POINT = SCANNER / "__main__.py"  # `python -m scanner`: hands main()'s code to the OS, nothing else

# Modules whose import alone means file, network or process I/O, and calls that read or write files.
IO_MODULES = ("os", "io", "pathlib", "shutil", "tempfile", "glob", "yaml", "socket", "subprocess", "urllib",
              "requests", "sqlite3", "scanner.paths", "scanner.atomic")
IO_CALLS = ("open", "read_located", "load_located", "safe_load", "load_all", "read_text", "read_bytes",
            "write_text", "write_bytes", "glob", "rglob", "iterdir", "scandir", "listdir")


MAX_MODULE_LINES = 450


def _modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _name(node: ast.AST) -> str:
    """Dotted name of a Name/Attribute chain (`sys.stderr.write` -> "sys.stderr.write"), else ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def imported(source: str) -> set[str]:
    """Every module an import statement names (`from a.b import c` names a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def speaks_or_exits(source: str) -> list[str]:
    """print(), sys.exit()/exit()/quit(), and any use of sys.stdout or sys.stderr, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in ("print", "sys.exit", "exit", "quit", "os._exit"):
            found.append(f"{node.lineno}: {_name(node.func)}()")
        elif isinstance(node, ast.Attribute) and _name(node) in ("sys.stdout", "sys.stderr"):
            found.append(f"{node.lineno}: {_name(node)}")
    return found


def reads_terminal(source: str) -> list[str]:
    """getpass.getpass (called or handed on), input(), any use of sys.stdin (isatty, read), and
    imports of those, by line. The CLI hands the library a prompt instead (scanner/cli/common.py
    terminal_prompt); getpass.getuser() reads no terminal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in ("getpass", "sys"):
            found += [f"{node.lineno}: import {node.module}.{a.name}" for a in node.names if a.name in ("getpass", "stdin")]
        elif isinstance(node, ast.Call) and _name(node.func) == "input":
            found.append(f"{node.lineno}: input()")
        elif isinstance(node, ast.Attribute) and _name(node) in ("sys.stdin", "getpass.getpass"):
            found.append(f"{node.lineno}: {_name(node)}")
    return found


def does_io(source: str) -> list[str]:
    """Imports of I/O modules and calls that read or write files, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = imported(ast.unparse(node))
            hits = sorted(n for n in names if any(n == m or n.startswith(m + ".") for m in IO_MODULES))
            found += [f"{node.lineno}: import {n}" for n in hits]
        elif isinstance(node, ast.Call):
            called = _name(node.func).rsplit(".", 1)[-1]
            if called in IO_CALLS:
                found.append(f"{node.lineno}: {_name(node.func)}()")
    return found


def _outside_cli() -> list[Path]:
    return [p for p in _modules(SCANNER) if CLI not in p.parents]


def test_only_the_cli_imports_argparse() -> None:
    offenders = [str(p.relative_to(SCANNER)) for p in _outside_cli() if "argparse" in imported(p.read_text())]
    assert offenders == []


def test_only_the_cli_prints_or_exits() -> None:
    offenders = {str(p.relative_to(SCANNER)): hits for p in _outside_cli() if p != ENTRY_POINT
                 for hits in [speaks_or_exits(p.read_text())] if hits}
    assert offenders == {}


def test_only_the_cli_reads_the_terminal() -> None:
    offenders = {str(p.relative_to(SCANNER)): hits for p in _outside_cli() for hits in [reads_terminal(p.read_text())] if hits}
    assert offenders == {}


def test_the_engine_reads_no_file() -> None:
    offenders = {str(p.relative_to(SCANNER)): hits for p in _modules(ENGINE) for hits in [does_io(p.read_text())] if hits}
    assert offenders == {}


def test_no_module_is_over_450_lines() -> None:
    """A module past 450 lines holds more than one job (issue #15); split it by responsibility."""
    long = {str(p.relative_to(SCANNER.parent)): n for root in ("scanner", "tests", "bench")
            for p in _modules(SCANNER.parent / root) if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


@pytest.mark.parametrize(("source", "check", "expected"), [
    ("import argparse\n", imported, {"argparse"}),
    ("from argparse import ArgumentParser\n", imported, {"argparse", "argparse.ArgumentParser"}),
    ("print('x')\n", speaks_or_exits, ["1: print()"]),
    ("import sys\nsys.exit(3)\n", speaks_or_exits, ["2: sys.exit()"]),
    ("import sys\nsys.stderr.write('x')\n", speaks_or_exits, ["2: sys.stderr"]),
    ("import sys\nok = sys.stdout.isatty()\n", speaks_or_exits, ["2: sys.stdout"]),
    ("import getpass\npw = getpass.getpass('p: ')\n", reads_terminal, ["2: getpass.getpass"]),
    ("import getpass\nprompt = getpass.getpass\n", reads_terminal, ["2: getpass.getpass"]),
    ("from getpass import getpass\n", reads_terminal, ["1: import getpass.getpass"]),
    ("name = input('x')\n", reads_terminal, ["1: input()"]),
    ("import sys\nok = sys.stdin.isatty()\n", reads_terminal, ["2: sys.stdin"]),
    ("from sys import stdin\n", reads_terminal, ["1: import sys.stdin"]),
    ("from pathlib import Path\n", does_io, ["1: import pathlib", "1: import pathlib.Path"]),
    ("import yaml\n", does_io, ["1: import yaml"]),
    ("from scanner import paths\n", does_io, ["1: import scanner.paths"]),
    ("text = open('f').read()\n", does_io, ["1: open()"]),
    ("data = p.read_bytes()\n", does_io, ["1: p.read_bytes()"]),
    ("from scanner.yamlmarks import read_located\ndoc = read_located('r.yaml')\n", does_io, ["2: read_located()"]),
])
def test_the_checks_are_not_rubber_stamps(source, check, expected) -> None:
    """Each check finds what it is there to find (and the clean tree above is not a blind spot)."""
    assert check(source) == expected


def test_clean_code_passes_the_checks() -> None:
    source = "import re\nfrom scanner.yamlmarks import Located\n\ndef f(doc: Located) -> str:\n    return re.sub('a', 'b', doc.file)\n"
    assert not speaks_or_exits(source) and not does_io(source) and "argparse" not in imported(source)
    assert not reads_terminal(source) and not reads_terminal("import getpass\nuser = getpass.getuser()\n")
