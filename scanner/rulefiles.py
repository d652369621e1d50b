"""The rule pack and the catalogs as files: found, read and parsed with file:line marks, then handed
to the engine, which never reads a file (scanner/engine/).

    pack = load_rules()              # rules/*.yaml, or the files and folders given
    catalogs = load_catalogs([DIR])  # rules/data/*.yaml, then each folder's layer on top

Every problem in every file is reported at once, each naming file:line:column; nothing is
returned unless the whole pack (or every catalog layer) is sound.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from scanner import paths
from scanner.engine.catalogs import Catalog, add_layer
from scanner.engine.loader import Rule, RulePack, build_pack, rules_in
from scanner.errors import InputError, Problem
from scanner.reading import MAX_YAML_BYTES, read_input
from scanner.yamlmarks import located_from_bytes


def rule_files(locations: Iterable[str | Path]) -> list[Path]:
    """The rule files named, and the *.yaml files of the folders named, in order."""
    files: list[Path] = []
    for loc in locations:
        p = Path(loc)
        if p.is_dir():
            files += sorted(f for f in p.glob("*.yaml") if f.is_file())
        else:
            files.append(p)
    return files


def load_rules(locations: Iterable[str | Path] | None = None) -> RulePack:
    """Load rule files or directories (default: the shipped rules/)."""
    files = rule_files(locations if locations is not None else [paths.RULES_DIR])
    problems: list[Problem] = []
    rules: list[Rule] = []
    digest = hashlib.sha256()
    if not files:
        raise InputError([Problem("no rule files (*.yaml) found", file=", ".join(str(x) for x in (locations or [])))])
    for file in files:
        try:
            raw = read_input(file, MAX_YAML_BYTES)
            doc = located_from_bytes(raw, str(file))
        except InputError as exc:
            problems += exc.problems
            continue
        digest.update(raw)
        file_rules, file_problems = rules_in(doc)
        rules += file_rules
        problems += file_problems
    return build_pack(rules, problems, files=tuple(str(f) for f in files), sha256=digest.hexdigest(),
                      version=_pack_version())


def _pack_version() -> str:
    version_file = paths.RULES_DIR / "VERSION"
    try:
        return version_file.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def load_catalogs(dirs: Iterable[str | Path] = ()) -> dict[str, Catalog]:
    """Shipped catalogs, then each extra directory on top. All problems reported at once."""
    catalogs: dict[str, Catalog] = {}
    problems: list[Problem] = []
    for directory in [paths.DATA_DIR, *dirs]:
        d = Path(directory)
        if not d.is_dir():
            problems.append(Problem("catalog directory not found", file=str(d)))
            continue
        for file in sorted(d.glob("*.yaml")):
            try:
                raw = read_input(file, MAX_YAML_BYTES)
                doc = located_from_bytes(raw, str(file))
            except InputError as exc:
                problems += exc.problems
                continue
            problems += add_layer(doc, catalogs, sha256=hashlib.sha256(raw).hexdigest())
    if problems:
        raise InputError(problems)
    return catalogs
