import os

import pytest

from scanner import exitcodes
from scanner.errors import InputError, OutputError
from scanner.report import ReportError, write_reports
from scanner.report import writer


def test_writes_every_format_requested(small, tmp_path):
    result, facts = small
    paths = write_reports(result, facts, html=tmp_path / "r.html", json=tmp_path / "r.json",
                          junit=tmp_path / "r.xml", csv=tmp_path / "r.csv")
    assert sorted(p.name for p in paths) == ["r.csv", "r.html", "r.json", "r.xml"]
    assert sorted(os.listdir(tmp_path)) == ["r.csv", "r.html", "r.json", "r.xml"]  # no temp files left


def test_failed_render_leaves_no_file(small, tmp_path, monkeypatch):
    result, facts = small
    (tmp_path / "old.html").write_text("previous report")

    def broken(*args, **kwargs):
        raise ValueError("layout exploded")

    monkeypatch.setattr(writer.machine, "to_csv", broken)
    with pytest.raises(ReportError) as exc:
        write_reports(result, facts, html=tmp_path / "old.html", csv=tmp_path / "r.csv")
    assert exc.value.exit_code == exitcodes.INTERNAL
    assert str(exc.value) == "csv report could not be rendered: ValueError: layout exploded"
    assert sorted(os.listdir(tmp_path)) == ["old.html"]
    assert (tmp_path / "old.html").read_text() == "previous report"


def test_facts_that_are_not_the_evaluated_ones_are_refused(small, tmp_path):
    result, facts = small
    with pytest.raises(InputError, match="not the one this result was evaluated from"):
        write_reports(result, facts + b" ", html=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_unwritable_target_is_one_clear_error(small, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write the report") as err:  # exit 73, not 70
        write_reports(small[0], None, json=tmp_path / "file" / "r.json")
    assert err.value.exit_code == 73


def test_without_facts_the_recorded_digest_is_shown(small):
    d = writer.digests(small[0], None, attached=True)
    assert d[0].sha256 == small[0]["facts_sha256"] and not d[0].attached
