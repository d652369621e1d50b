"""Collector outputs saved by hand: decoded by BOM, checked, every problem with file and pointer."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.collect.offline import load_collector_outputs
from scanner.errors import InputError
from scanner.lab import collector_output
from tests.collect.conftest import scenario


def _outputs() -> list[dict]:
    sc = scenario()
    return [collector_output(sc, spec) for spec in sc.nodes]


def test_utf16_and_utf8_files_load(tmp_path: Path) -> None:
    docs = _outputs()
    # Windows PowerShell's `>` writes UTF-16 LE with a BOM; Set-Content -Encoding UTF8 writes a UTF-8 BOM
    (tmp_path / "n1.json").write_bytes(json.dumps(docs[0]).encode("utf-16"))
    (tmp_path / "n2.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(docs[1]).encode())
    (tmp_path / "n3.json").write_text(json.dumps(docs[2]))
    loaded = load_collector_outputs(sorted(tmp_path.glob("*.json")))
    assert [d["node"]["name"] for d in loaded] == ["N1", "N2", "N3"]


def test_every_problem_names_file_and_pointer(tmp_path: Path) -> None:
    good, bad, _ = _outputs()
    bad["node"]["os"]["build"] = "9600"
    (tmp_path / "a.json").write_text(json.dumps(good))
    (tmp_path / "b.json").write_text(json.dumps(bad))
    (tmp_path / "c.json").write_text("{ not json")
    (tmp_path / "d.json").write_text(json.dumps(good))  # the same node twice
    with pytest.raises(InputError) as err:
        load_collector_outputs(sorted(tmp_path.glob("*.json")))
    rendered = [p.render() for p in err.value.problems]
    assert any(r.startswith(str(tmp_path / "b.json")) and "/node/os/build" in r for r in rendered)
    assert any(r.startswith(str(tmp_path / "c.json") + ":1:3") for r in rendered)
    assert any("node N1 is also in" in r and "/node/name" in r for r in rendered)


def test_other_collector_version_is_refused(tmp_path: Path) -> None:
    doc = _outputs()[0]
    doc["collector_version"] = "2"
    (tmp_path / "n.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="emit-script"):
        load_collector_outputs([tmp_path / "n.json"])
