"""Recognising the collector by its version marker."""
from __future__ import annotations

import pytest

from scanner.lab.script import answer_collector, collector_version
from scanner.lab.session import ScriptCommand


def _script(text: str) -> list[ScriptCommand]:
    return [ScriptCommand(text, True, ())]


@pytest.mark.parametrize("text, version", [
    ("# rollready-collector-version: 1\nparam()", "1"),
    ("param()\r\n  #rollready-collector-version:   1  \r\n", "1"),
    ("# rollready-collector-version: 2\n", "2"),
    ("Write-Output '# rollready-collector-version: 1'", None),  # not a comment line of its own
    ("# rollready-collector-version:\n", None),
    ("Get-Process", None),
])
def test_marker(text: str, version: str | None):
    assert collector_version(_script(text)) == version


def test_marker_in_invoke_expression_command():
    cmds = [ScriptCommand("Invoke-Expression", False, (("Command", "# rollready-collector-version: 1\n"),)),
            ScriptCommand("Out-String", False, (("Stream", True),))]
    assert collector_version(cmds) == "1"


def test_marker_in_a_parameter_of_another_command_does_not_count():
    cmds = [ScriptCommand("Write-Output", False, (("InputObject", "# rollready-collector-version: 1\n"),))]
    assert collector_version(cmds) is None


def test_answer():
    answer = answer_collector(lambda params: ('{"collector_version": "1"}', 0.0))
    assert answer(_script("# rollready-collector-version: 1\n")).outputs == ('{"collector_version": "1"}',)
    rejected = answer(_script("Get-ChildItem C:\\"))
    assert rejected.outputs == () and "only the rollready collector" in (rejected.error or "")
    assert "version 7 is not supported" in (answer(_script("# rollready-collector-version: 7\n")).error or "")
