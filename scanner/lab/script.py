"""Which scripts a lab node answers: only the rollready collector of the version it supports.

The collector carries the line `# rollready-collector-version: 1` (contracts §1). It may arrive as a
Script command (PowerShell.add_script, the scanner's way) or as the -Command of Invoke-Expression
(pypsrp's Client.execute_ps); parameters are accepted and ignored. Anything else gets a terminating
error, so a collector that drifts from the lab fails loudly instead of being answered.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from scanner.collect import COLLECTOR_VERSION
from scanner.lab.session import Reply, ScriptCommand

MARKER = re.compile(r"^[ \t]*#[ \t]*rollready-collector-version:[ \t]*(\S+)[ \t]*\r?$", re.MULTILINE)
WATCH_MARKER = re.compile(r"^[ \t]*#[ \t]*rollready-watch-version:[ \t]*1[ \t]*\r?$", re.MULTILINE)


def script_texts(commands: Sequence[ScriptCommand]) -> list[str]:
    """The script bodies of a pipeline: Script commands and Invoke-Expression -Command values."""
    texts = []
    for cmd in commands:
        if cmd.is_script:
            texts.append(cmd.text)
        elif cmd.text.lower() in ("invoke-expression", "iex"):
            texts.extend(str(v) for k, v in cmd.parameters if k is None or k.lower() == "command")
    return texts


def collector_version(commands: Sequence[ScriptCommand]) -> str | None:
    for text in script_texts(commands):
        if m := MARKER.search(text):
            return m.group(1)
    return None


def script_parameters(commands: Sequence[ScriptCommand]) -> dict[str, object]:
    """The named parameters the client sent with the collector (e.g. WmiTimeoutSec)."""
    return {name: value for cmd in commands if cmd.is_script for name, value in cmd.parameters if name}


def answer_collector(
    document: Callable[[dict[str, object]], tuple[str, float]], corrupt: bool = False,
    watch: Callable[[], str] | None = None,
) -> Callable[[Sequence[ScriptCommand]], Reply]:
    """An Answer that returns the collector's document as one string, after the time the simulated
    collector runs (document(parameters) -> (json text, seconds)), rollready watch's light document
    (watch() -> json text), and rejects everything else."""

    def answer(commands: Sequence[ScriptCommand]) -> Reply:
        if watch is not None and any(WATCH_MARKER.search(text) for text in script_texts(commands)):
            return Reply(outputs=(watch(),), corrupt_output=corrupt)
        version = collector_version(commands)
        if version == COLLECTOR_VERSION:
            text, runtime_s = document(script_parameters(commands))
            return Reply(outputs=(text,), corrupt_output=corrupt, runtime_s=runtime_s)
        if version is not None:
            return Reply(
                error=f"rollready lab: collector version {version} is not supported (this lab answers version "
                f"{COLLECTOR_VERSION})",
                error_id="RollreadyLab.UnsupportedCollectorVersion",
            )
        return Reply(
            error="rollready lab: only the rollready collector script (marked "
            f"'# rollready-collector-version: {COLLECTOR_VERSION}') can run on a lab node",
        )

    return answer
