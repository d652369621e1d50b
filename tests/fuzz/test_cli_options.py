"""Every offline command with random options and hostile values: an exit code the README lists,
never an internal error (exit 70) and never an exception out of main() (issue #11 §7).

A command and a few of its options are drawn; each option gets a value drawn from the loaders' hostile
tokens, edge numbers and random text. Values reach the command as argv can carry them (no NUL).
Excluded, because a random value would leave the machine or run something: options that name a
command, a mail relay, a history database or a timestamp server, and the commands that connect to
nodes or serve (scan, collect, watch, lab, demo, schedule). PDF output is left out for time (its
paths are covered in tests/report). Paths are kept inside the test's folder.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner import exitcodes
from scanner.cli import build_parser, main
from tests.fuzz.test_loaders import FUZZ, HOSTILE, RESULT_SEED

ROOT = Path(__file__).parents[2]
FACTS = str(ROOT / "examples" / "pre-healthy-2012r2.json")
MIXED = str(ROOT / "examples" / "mixed-dedup-hazard.json")
EXPECTED = {exitcodes.GO, exitcodes.GO_WITH_WARNINGS, exitcodes.NO_GO, exitcodes.INCOMPLETE, exitcodes.USAGE,
            exitcodes.DATAERR, exitcodes.CANTCREAT}
UNSAFE = re.compile(r"notify|smtp|history|timestamp|keyring|password|pdf|sign-key|help|version|debug")
PATHS = re.compile(r"FILE|DIR|PATH|PEM|JSON|P12|OUT")
BASES: dict[str, list[str]] = {
    "evaluate": ["evaluate", FACTS],
    "report": ["report", "findings.json"],
    "diff": ["diff", FACTS, MIXED],
    "rules list": ["rules", "list"],
    "rules validate": ["rules", "validate"],
    "rules explain": ["rules", "explain", "DDP-003"],
    "plan": ["plan", MIXED, "--no-pdf"],
    "history list": ["history", "list"],
    "history prune": ["history", "prune"],
    "history fleet": ["history", "fleet"],
    "history drift": ["history", "drift"],
}
NUMBERS = ["0", "-1", "1", "65536", "1e999", "nan", "inf", "-0", "99999999999999999999", "0x10", "1_000"]


def _subparser(argv: list[str]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = build_parser(argv)
    for word in (w for w in argv if not w.startswith("-")):
        found = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if found is None or word not in found.choices:
            break
        parser = found.choices[word]
    return parser


def _options(base: list[str]) -> list[argparse.Action]:
    return [a for a in _subparser(base)._actions
            if a.option_strings and not any(UNSAFE.search(o) for o in a.option_strings)]


def _value(action: argparse.Action, draw: Any) -> list[str]:
    if action.nargs == 0:
        return []
    if action.choices and draw(st.booleans()):
        return [str(draw(st.sampled_from(list(action.choices))))]
    text = draw(st.one_of(st.sampled_from(HOSTILE), st.sampled_from(NUMBERS), st.text(max_size=16)))
    text = text.replace("\x00", "")  # argv cannot carry a NUL
    if PATHS.search(str(action.metavar or action.dest).upper()):
        text = "fz-" + re.sub(r"[/~]", "_", text)[:200]  # inside the test's folder
    return [text]


@pytest.mark.slow
@pytest.mark.parametrize("command", BASES)
@FUZZ
@given(data=st.data())
def test_random_options_end_in_a_listed_exit_code(command: str, data: st.DataObject, tmp_path_factory) -> None:
    work = tmp_path_factory.mktemp("cli")
    (work / "findings.json").write_text(RESULT_SEED, encoding="utf-8")
    base = BASES[command]
    chosen = data.draw(st.lists(st.sampled_from(_options(base)), max_size=3))
    argv = [*base]
    for action in chosen:
        argv += [data.draw(st.sampled_from(action.option_strings)), *_value(action, data.draw)]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        patch.setenv("ROLLREADY_HISTORY", str(work / "history.db"))
        code = main(argv)
    assert code in EXPECTED, (argv, code)


def test_the_bases_run():
    """Each base command line is valid as it is, so the options drawn are what a failure is about."""
    assert all(_options(base) or name.startswith("rules ") for name, base in BASES.items())
    assert json.loads(RESULT_SEED)["verdict"]
