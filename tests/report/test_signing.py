"""Signed reports: PAdES with pyHanko, PDF/A-3b kept, `rollready verify` accepts, rejects a changed byte."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from signing_keys import PASSWORD, make_p12

from scanner import paths
from scanner.cli import main
from scanner.cli.common import SIGN_PASSWORD_ENV

EXAMPLE = str(paths.EXAMPLES_DIR / "mixed-dedup-hazard.json")


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_p12(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory):
    out = tmp_path_factory.mktemp("unsigned") / "plain.pdf"
    main(["evaluate", EXAMPLE, "--phase", "mixed", "--pdf", str(out)])
    return out


@pytest.fixture(scope="module")
def signed(keys, tmp_path_factory):
    """A real evaluation's PDF/A-3b report, signed with the throwaway key."""
    out = tmp_path_factory.mktemp("signed") / "report.pdf"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SIGN_PASSWORD_ENV, PASSWORD)
        code = main(["evaluate", EXAMPLE, "--phase", "mixed", "--pdf", str(out), "--sign-key", str(keys[0])])
    assert code == 2  # the example is a NO-GO; the report is written all the same
    return out


@pytest.mark.slow  # the first test to use the signed report pays for its render (5-10 s)
def test_pdfsig_lists_the_signature(signed) -> None:
    out = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, check=False).stdout
    assert "Signature #1" in out and "Auditor Test" in out
    assert "Signature is Valid" in out and "Total document signed" in out


def test_signing_keeps_pdfa_xmp_output_intent_and_attachments(signed) -> None:
    with pikepdf.open(signed) as pdf:
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        assert len(pdf.Root.OutputIntents) >= 1
        assert sorted(pdf.attachments.keys()) == ["facts.json", "findings.json"]
        assert pdf.attachments["facts.json"].get_file().read_bytes() == Path(EXAMPLE).read_bytes()
        assert "/AcroForm" in pdf.Root  # the signature field


def test_verify_accepts_and_names_the_signer(signed, keys, capsys) -> None:
    assert main(["verify", str(signed)]) == 0
    out = capsys.readouterr().out
    assert "signature by Auditor Test" in out and "intact, covers the whole file" in out
    assert "facts.json: SHA-256" in out and "matches the digest printed" in out
    assert main(["verify", str(signed), "--trust", str(keys[1])]) == 0
    assert "signer trusted" in capsys.readouterr().out


def test_verify_rejects_a_signer_outside_the_trust_anchor(signed, tmp_path, capsys) -> None:
    _, other_ca = make_p12(tmp_path, signer="Someone Else")
    assert main(["verify", str(signed), "--trust", str(other_ca)]) == 1
    assert "does not chain to the trust anchor" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_one_changed_byte_is_rejected_with_one_line(signed, tmp_path, capsys, where) -> None:
    data = bytearray(signed.read_bytes())
    index = {"start": data.index(b"/Title") + 9, "middle": len(data) // 2, "end": len(data) - 40}[where]
    data[index] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(data))
    code = main(["verify", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (1, 65)
    assert len(err) == 1 and "tampered.pdf" in err[0]
    assert "NOT VERIFIED" in err[0] or "error" in err[0]


@pytest.mark.slow  # renders the unsigned report (5 s)
def test_unsigned_report_is_not_verified_unless_allowed(unsigned, capsys) -> None:
    out = unsigned
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    assert "not signed" in capsys.readouterr().err
    assert main(["verify", str(out), "--unsigned-ok"]) == 0


def test_a_replaced_attachment_no_longer_matches_the_printed_digest(unsigned, tmp_path, capsys) -> None:
    with pikepdf.open(unsigned) as pdf:
        spec = pdf.attachments["findings.json"]
        stream = spec.obj.EF.F
        stream.write(stream.read_bytes().replace(b'"NO-GO"', b'"GO"   '))
        pdf.save(tmp_path / "swapped.pdf")
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "swapped.pdf"), "--unsigned-ok"]) == 1
    err = capsys.readouterr().err
    assert "findings.json: its SHA-256" in err and "not the digest printed" in err


def test_wrong_password_is_one_line_and_never_echoed(keys, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(SIGN_PASSWORD_ENV, "wrong-" + PASSWORD)
    code = main(["evaluate", EXAMPLE, "--phase", "mixed", "--pdf", str(tmp_path / "r.pdf"), "--sign-key", str(keys[0])])
    err = capsys.readouterr().err
    assert code == 65 and "wrong password" in err and PASSWORD not in err
    assert not (tmp_path / "r.pdf").exists()  # nothing half-written


def test_no_password_and_no_terminal_is_a_usage_error(keys, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv(SIGN_PASSWORD_ENV, raising=False)
    code = main(["evaluate", EXAMPLE, "--phase", "mixed", "--pdf", str(tmp_path / "r.pdf"), "--sign-key", str(keys[0])])
    assert code == 64 and SIGN_PASSWORD_ENV in capsys.readouterr().err


def test_an_attachment_that_inflates_past_the_bound_is_refused_not_read(unsigned, tmp_path, monkeypatch, capsys) -> None:
    """A PDF to verify may come from anyone: a Flate bomb was inflated whole (read_bytes)."""
    import scanner.report.signing as signing

    monkeypatch.setattr(signing, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    with pikepdf.open(unsigned) as pdf:
        pdf.attachments["findings.json"].obj.EF.F.write(b"\0" * (2 * 1024 * 1024))
        pdf.save(tmp_path / "bomb.pdf")  # pikepdf compresses the stream with Flate
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "bomb.pdf"), "--unsigned-ok"]) == 1
    err = capsys.readouterr().err
    assert "attachments: cannot be read (an attachment expands beyond 1,048,576 bytes)" in err


def test_an_attachment_in_a_filter_rollready_does_not_write_is_refused(unsigned, tmp_path, capsys) -> None:
    with pikepdf.open(unsigned) as pdf:
        stream = pdf.attachments["findings.json"].obj.EF.F
        stream.write(stream.read_bytes().hex().encode() + b">", filter=pikepdf.Name.ASCIIHexDecode)
        pdf.save(tmp_path / "hex.pdf", compress_streams=False)
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "hex.pdf"), "--unsigned-ok"]) == 1
    assert "encoded with /ASCIIHexDecode, which rollready's reports do not use" in capsys.readouterr().err


def test_pdftotext_that_does_not_finish_is_a_failed_check_not_an_error(unsigned, monkeypatch, capsys) -> None:
    """subprocess.TimeoutExpired escaped from verify (exit 70) when pdftotext outlived its timeout."""
    import scanner.report.signing as signing

    monkeypatch.setattr(signing, "PDFTOTEXT_TIMEOUT_S", 0.000001)
    capsys.readouterr()
    assert main(["verify", str(unsigned), "--unsigned-ok"]) == 1
    assert "attachments: pdftotext did not finish within 1e-06 s: the printed digests cannot be read" in capsys.readouterr().err
