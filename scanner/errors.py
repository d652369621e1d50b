"""Errors are values with context; the CLI renders them once, one line each."""
from __future__ import annotations

from dataclasses import dataclass

from scanner import exitcodes


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None  # JSON pointer inside a document
    rule_id: str | None = None
    node: str | None = None

    def render(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
        parts = [p for p in (where, f"node {self.node}" if self.node else "") if p]
        head = ": ".join(parts)
        tail = self.message
        if self.pointer:
            tail = f"{self.pointer}: {tail}"
        if self.rule_id:
            tail = f"{tail} (rule {self.rule_id})"
        text = f"{head}: {tail}" if head else tail
        return " ".join(text.split())  # one line, always


class RollreadyError(Exception):
    """Root of every error the CLI knows how to report."""

    exit_code = exitcodes.INTERNAL

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(problems)
        super().__init__("; ".join(p.render() for p in self.problems))


class InputError(RollreadyError):
    """Bad input data: facts, rules, catalogs, waivers, scenarios (exit 65)."""

    exit_code = exitcodes.DATAERR


class UsageError(RollreadyError):
    """Wrong command line (exit 64)."""

    exit_code = exitcodes.USAGE


class OutputError(RollreadyError):
    """An output file could not be written (full disk, file-size limit, permissions): exit 73."""

    exit_code = exitcodes.CANTCREAT
