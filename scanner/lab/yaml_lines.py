"""YAML loading that remembers where each value was written, so schema errors can name file:line."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from scanner.errors import InputError, Problem

Path = tuple[str, ...]


class LineMap:
    """Line (1-based) of every mapping value and sequence item, keyed by its path of str(keys)."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self._lines = lines

    def line_of(self, path: Sequence[Any]) -> int | None:
        """The line of path, or of its nearest ancestor that was written in the file."""
        depth = self.depth(path)
        return self._lines.get(tuple(str(p) for p in path)[:depth]) if depth >= 0 else None

    def depth(self, path: Sequence[Any]) -> int:
        """How many leading parts of path were written in the file."""
        key = tuple(str(p) for p in path)
        while key not in self._lines and key:
            key = key[:-1]
        return len(key) if key in self._lines else -1


def load_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """Parse text with the safe loader; a syntax error is an InputError at its line and column."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            [
                Problem(
                    f"invalid YAML: {reason}",
                    file=file,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from None
    lines: dict[Path, int] = {}
    if root is not None:
        _walk(root, (), lines)
    return data, LineMap(lines)


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            _walk(value, child, lines)
            lines[child] = key.start_mark.line + 1  # a value's line is where its key is written
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, str(i)), lines)
