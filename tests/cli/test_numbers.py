"""Numeric options are checked at parse time: one usage line naming the option, exit 64.

Before scanner/cli/numbers.py these reached SQLite, timedelta or bind() and ended as internal errors
(exit 70), or as a node failure (`--port -1`)."""
from __future__ import annotations

import argparse

import pytest

from scanner import exitcodes
from scanner.cli import main
from scanner.cli.numbers import number, whole


def test_whole_takes_its_range_and_names_what_is_wrong():
    parse = whole(1, 65535)
    assert parse("1") == 1 and parse("65535") == 65535
    for text, message in (("0", "must be at least 1 and at most 65535"), ("65536", "at most 65535"),
                          ("-1", "at least 1"), ("1.5", "'1.5' is not a whole number"), ("x", "not a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)


def test_number_refuses_what_is_not_finite_and_can_exclude_its_low_end():
    days = number(0, 36500, unit="days")
    assert days("0") == 0.0 and days("1.5") == 1.5
    timeout = number(0, 604800, above_low=True, unit="seconds")
    assert timeout("0.5") == 0.5
    for parse, text, message in ((days, "nan", "at least 0 and at most 36500"), (days, "inf", "at most 36500"),
                                 (days, "-1", "at least 0"), (days, "1e308", "at most 36500"),
                                 (timeout, "0", "more than 0"), (days, "soon", "'soon' is not a number of days")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)


@pytest.mark.parametrize("args,option", [
    (["history", "prune", "--keep-days", "nan"], "--keep-days"),
    (["history", "prune", "--keep-days", "inf"], "--keep-days"),
    (["history", "prune", "--keep", "99999999999999999999"], "--keep"),
    (["history", "list", "--limit", "-5"], "--limit"),
    (["history", "fleet", "--last", "0"], "--last"),
    (["lab", "serve", "healthy-2012r2", "--base-port", "70000"], "--base-port"),
    (["lab", "serve", "healthy-2012r2", "--time-scale", "nan"], "--time-scale"),
    (["lab", "serve", "healthy-2012r2", "--time-scale", "-1"], "--time-scale"),
    (["scan", "--node", "n1.example", "--port", "99999", "--target-os", "2016", "--out", "o"], "--port"),
    (["scan", "--node", "n1.example", "--parallel", "0", "--target-os", "2016", "--out", "o"], "--parallel"),
    (["scan", "--node", "n1.example", "--node-timeout", "nan", "--target-os", "2016", "--out", "o"], "--node-timeout"),
    (["watch", "--inventory", "i.yaml", "--every", "30s", "--count", "0"], "--count"),
])
def test_an_out_of_range_number_is_one_usage_line(args, option, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLREADY_HISTORY", str(tmp_path / "h.db"))
    assert main(args) == exitcodes.USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"argument {option}" in err and "Traceback" not in err


def test_a_base_port_whose_nodes_would_pass_65535_is_one_usage_line(capsys):
    assert main(["lab", "serve", "healthy-2012r2", "--base-port", "65534"]) == exitcodes.USAGE
    err = capsys.readouterr().err.strip()
    assert "--base-port 65534: the 3 nodes need ports up to 65536, past 65535" in err and len(err.splitlines()) == 1
