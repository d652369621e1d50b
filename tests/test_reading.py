"""Input files are read with a size bound: a device, a pipe or a huge file is one line, not memory
exhausted (before scanner/reading.py, `evaluate /dev/zero` and `lab serve /dev/urandom` read until
MemoryError, exit 70, or for ever)."""
from __future__ import annotations

from pathlib import Path

import pytest

from scanner import exitcodes
from scanner.cli import main
from scanner.errors import InputError
from scanner.reading import decoded, read_input, read_input_text

ROOT = Path(__file__).parents[1]
FACTS = str(ROOT / "examples" / "pre-healthy-2012r2.json")


def test_a_file_up_to_the_limit_is_read_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"12345")
    assert read_input(path, 5) == b"12345"
    with pytest.raises(InputError, match="inventory is larger than 4 bytes") as info:
        read_input(path, 4, what="inventory")
    assert info.value.problems[0].file == str(path)


def test_a_device_that_never_ends_is_refused_at_the_limit():
    with pytest.raises(InputError, match="file is larger than 1,024 bytes"):
        read_input("/dev/zero", 1024)


def test_what_cannot_be_read_or_decoded_names_the_file(tmp_path):
    with pytest.raises(InputError, match="cannot read scenario: No such file or directory"):
        read_input(tmp_path / "absent.yaml", 10, what="scenario")
    with pytest.raises(InputError, match="cannot read: Is a directory"):
        read_input(tmp_path, 10)
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 9\)"):
        read_input_text(tmp_path / "latin1.yaml", 100)
    assert decoded(b"\xef\xbb\xbfname: x", "f", "utf-8-sig") == "name: x"


@pytest.mark.parametrize("argv,limit", [
    (["evaluate", "/dev/zero"], "268,435,456"),
    (["evaluate", FACTS, "--rules", "/dev/zero"], "16,777,216"),
    (["evaluate", FACTS, "--waivers", "/dev/zero"], "16,777,216"),
    (["scan", "--inventory", "/dev/zero", "--target-os", "2016", "--out", "o"], "16,777,216"),
    (["lab", "serve", "/dev/urandom"], "4,194,304"),
])
def test_a_loader_given_a_device_says_so_in_one_line(argv, limit, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == exitcodes.DATAERR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"larger than {limit} bytes" in err


def test_inflate_keeps_its_bound_and_names_what_is_wrong():
    import zlib

    from scanner.reading import InflateError, inflate

    packed = zlib.compress(b"x" * 1000)
    assert inflate(packed, 1000, kind="Flate data") == b"x" * 1000
    for raw, limit, message in ((packed, 999, "expands beyond 999 bytes"), (packed[:-4], 1000, "is cut short"),
                                (packed + b"junk", 1000, "has data after its end"),
                                (b"not zlib", 1000, "is not Flate data: Error -3")):
        with pytest.raises(InflateError, match=message):
            inflate(raw, limit, kind="Flate data")
