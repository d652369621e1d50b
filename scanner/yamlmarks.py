"""YAML loading that remembers where every value came from, so errors can name file:line:column."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from scanner.errors import InputError, Problem
from scanner.reading import MAX_YAML_BYTES, decoded, read_input

if TYPE_CHECKING:
    import jsonschema

    from scanner.schemas import Checker

MAX_NODES = 200_000  # alias bombs expand past this; real rule files are far smaller
MAX_DEPTH = 64  # nesting; real files stay under 10 levels, and PyYAML's composer recurses per level

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Located:
    """A YAML document and the line/column of each value in it (1-based)."""

    data: Any
    marks: dict[Path, tuple[int, int]]
    file: str

    def problem(self, path: Path, message: str, **extra: Any) -> Problem:
        line, column = self.mark(path)
        return Problem(message, file=self.file, line=line, column=column, **extra)

    def mark(self, path: Path) -> tuple[int | None, int | None]:
        """The mark of the deepest known value on the path."""
        probe = tuple(path)
        while probe not in self.marks and probe:
            probe = probe[:-1]
        return self.marks.get(probe, (None, None))

    def depth(self, path: Path) -> int:
        """How many leading parts of the path were written in the file (-1: not even the root)."""
        probe = tuple(path)
        while probe not in self.marks and probe:
            probe = probe[:-1]
        return len(probe) if probe in self.marks else -1


def load_located(text: str, file: str) -> Located:
    """Parse one YAML document; syntax errors and duplicate keys become located problems."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputError([Problem(f"YAML nested more than {MAX_DEPTH} levels deep", file=file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(str(exc.problem or exc.context or "YAML syntax error").split())
        raise InputError([Problem(f"YAML syntax: {msg}", file=file,
                                  line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"YAML: {' '.join(str(exc).split())}", file=file)]) from None
    marks: dict[Path, tuple[int, int]] = {}
    problems: list[Problem] = []
    if node is None:
        return Located(None, marks, file)
    builder = _Builder(file, marks, problems)
    data = builder.build(node, ())
    if problems:
        raise InputError(problems)
    return Located(data, marks, file)


class _Builder:
    def __init__(self, file: str, marks: dict[Path, tuple[int, int]], problems: list[Problem]):
        self.file = file
        self.marks = marks
        self.problems = problems
        self.loader = yaml.SafeLoader("")
        self.count = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputError([Problem(f"document too large or an alias bomb (more than {MAX_NODES} values)", file=self.file)])
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if len(path) >= MAX_DEPTH and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            raise InputError([Problem(f"nested more than {MAX_DEPTH} levels deep", file=self.file,
                                      line=node.start_mark.line + 1, column=node.start_mark.column + 1)])
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                try:
                    key = self.loader.construct_object(key_node, deep=True)
                except (yaml.YAMLError, ValueError, OverflowError, AttributeError, TypeError) as exc:
                    self._located(key_node, f"bad key: {exc}")
                    continue
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self._located(key_node, "mapping keys must be plain scalars")
                    continue
                if key in out:
                    self._located(key_node, f"duplicate key {key!r}")
                    continue
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self._located(node, " ".join(str(exc).split()))
        except (ValueError, OverflowError) as exc:  # e.g. an impossible unquoted date: 2026-02-30
            self._located(node, f"bad value {node.value!r}: {exc}")
        except (AttributeError, TypeError):  # PyYAML's own constructors on a forced tag, e.g. !!timestamp on a word
            self._located(node, f"bad value {node.value!r} for its tag {node.tag}")
        return None

    def _located(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(message, file=self.file, line=node.start_mark.line + 1, column=node.start_mark.column + 1))


def read_located(path: str) -> Located:
    return located_from_bytes(read_input(path, MAX_YAML_BYTES), path)


def located_from_bytes(raw: bytes, file: str) -> Located:
    """A YAML file's bytes (already read, e.g. to be hashed too) parsed with their marks."""
    return load_located(universal_newlines(decoded(raw, file)), file)


def universal_newlines(text: str) -> str:
    """CR LF and CR as LF, as a file opened in text mode reads them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def schema_problems(doc: Located, validator: Checker, base: Path = ()) -> list[Problem]:
    """jsonschema errors mapped back to YAML line/column, most specific error first."""
    target = doc.data
    for part in base:
        target = target[part]
    try:
        errors = list(validator.iter_errors(target))
    except RecursionError:
        return [Problem(f"nested more than {MAX_DEPTH} levels deep", file=doc.file)]
    if not errors:
        return []
    from jsonschema.exceptions import best_match  # loaded only for a file that is not valid

    out = []
    def order(e: jsonschema.ValidationError) -> tuple[int, int, str]:
        line, column = doc.mark(base + tuple(e.absolute_path))
        return (line or 0, column or 0, e.message)

    for err in sorted(errors, key=order):
        best = best_match([err]) if err.context else err
        path = base + tuple(best.absolute_path)
        message = best.message if len(best.message) <= 200 else best.message[:197] + "..."
        where = "/".join(str(p) for p in path)
        out.append(doc.problem(path, f"{where}: {message}" if where else message))
    return out
