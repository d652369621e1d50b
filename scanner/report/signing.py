"""Signed reports: a PAdES signature over the PDF (pyHanko), and the check an auditor runs.

The signature is an incremental update, so the PDF/A-3b document underneath stays byte for byte
what WeasyPrint wrote: its XMP (pyHanko refreshes the producer and modify date in it), output
intent and attached evidence files survive. `verify_pdf` answers three questions, each with one
line: is the signature intact and does it cover the whole file (and, given a trust anchor, is the
signer trusted); does every attached file still have the SHA-256 printed in the report; does the
result attached name the facts attached (its `facts_sha256`).

Imported only when a report is signed or verified: pyHanko and pikepdf cost time to load.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner import exitcodes
from scanner.errors import InputError, Problem, RollreadyError
from scanner.facts.document import MAX_FACTS_BYTES
from scanner.reading import MAX_YAML_BYTES, InflateError, inflate, read_input

SIGNATURE_FIELD = "rollready"
# pyHanko logs a path-building traceback at WARNING when the signer has no trust anchor; the
# verification says so in one line instead.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False
_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
MAX_ATTACHMENT_BYTES = MAX_FACTS_BYTES  # an attachment is a facts or result document
PDFTOTEXT_TIMEOUT_S = 60


class SigningError(RollreadyError):
    """The signing key cannot be used, or the signature could not be made (exit 65: bad input)."""

    exit_code = exitcodes.DATAERR


@dataclass(frozen=True)
class SigningKey:
    """A PKCS#12 file and its password (from ROLLREADY_SIGN_PASSWORD or a prompt, never argv)."""

    path: Path
    password: bytes = field(repr=False)
    timestamp_url: str | None = None  # an RFC 3161 time-stamping authority, optional


def check_key(key: SigningKey) -> None:
    """Open the key now, so a wrong password fails before anything is collected or rendered."""
    _signer(key)


def _signer(key: SigningKey) -> Any:  # pyHanko's SimpleSigner
    from pyhanko.sign import signers

    try:
        data = read_input(key.path, MAX_YAML_BYTES, what="the signing key")
    except InputError as exc:
        raise SigningError(exc.problems) from None
    try:
        from cryptography.hazmat.primitives.serialization import pkcs12

        pkcs12.load_key_and_certificates(data, key.password)  # a clear message for a wrong password
    except ValueError:
        raise SigningError([Problem("cannot open the signing key: wrong password (ROLLREADY_SIGN_PASSWORD) or not "
                                    "a PKCS#12 (.p12/.pfx) file", file=str(key.path))]) from None
    signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(key.path), passphrase=key.password)
    if signer is None:
        raise SigningError([Problem("the PKCS#12 file holds no private key with its certificate", file=str(key.path))])
    return signer


def sign_pdf(data: bytes, key: SigningKey, *, reason: str = "rollready report") -> bytes:
    """The PDF with a PAdES baseline signature appended (and an RFC 3161 timestamp when asked)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = _signer(key)
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, md_algorithm="sha256", reason=reason,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    stamper = timestamps.HTTPTimeStamper(key.timestamp_url) if key.timestamp_url else None
    out = io.BytesIO()
    try:
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer, timestamper=stamper,
                         output=out)
    except Exception as exc:  # pyHanko and the TSA client raise many kinds; one line names the cause
        raise SigningError([Problem(f"the report could not be signed: {type(exc).__name__}: {exc}",
                                    file=str(key.path))]) from exc
    return out.getvalue()


@dataclass
class Verification:
    """What `rollready verify` prints: one line per check; ok only when every check holds."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signer: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def good(self, line: str) -> None:
        self.lines.append(line)

    def bad(self, line: str) -> None:
        self.problems.append(line)
        self.lines.append(line)


def verify_pdf(data: bytes, *, trust: list[bytes] | None = None, require_signature: bool = True) -> Verification:
    """Check the signature, the attached files against the printed digests, and the result against
    the facts. `trust`: PEM or DER certificates the signer must chain to (without it the signature's
    integrity is checked and the signer named, but not trusted)."""
    v = Verification()
    _check_signature(data, trust, require_signature, v)
    _check_attachments(data, v)  # also for an unsigned or broken signature: say all that fails
    return v


def _check_signature(data: bytes, trust: list[bytes] | None, required: bool, v: Verification) -> None:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import ValidationContext, validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, IndexError) as exc:
        v.bad(f"signature: not a readable PDF ({exc})")
        return
    if not signatures:
        (v.bad if required else v.good)("signature: the report is not signed")
        return
    roots = []
    for blob in trust or []:
        der = pem.unarmor(blob)[2] if pem.detect(blob) else blob
        roots.append(asn1_x509.Certificate.load(der))
    for sig in signatures:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(sig, context)
        except (PathBuildingError, PathValidationError, ValueError, KeyError) as exc:
            v.bad(f"signature {sig.field_name}: cannot be validated ({type(exc).__name__}: {exc})")
            continue
        subject = status.signing_cert.subject
        signer = str(subject.native.get("common_name") or subject.human_friendly)
        v.signer = signer
        when = f" at {status.signer_reported_dt.isoformat()}" if status.signer_reported_dt else ""
        if not (status.intact and status.valid):
            v.bad(f"signature by {signer}: the signed bytes no longer match the signature "
                  "(the file was changed after it was signed)")
            continue
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            v.bad(f"signature by {signer}: bytes were added after the signature (it covers only part of the file)")
            continue
        if roots and not status.trusted:
            v.bad(f"signature by {signer}: intact, but the signer does not chain to the trust anchor given")
            continue
        trusted = "signer trusted" if roots else "signer not checked against a trust anchor (give --trust CA.pem)"
        stamp = "; RFC 3161 timestamp" if status.timestamp_validity is not None else ""
        v.good(f"signature by {signer}{when}: intact, covers the whole file; {trusted}{stamp}")


def _printed_text(data: bytes) -> tuple[str | None, str]:
    """The report's text as printed (poppler's pdftotext), or None and why it could not be read."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None, "pdftotext (poppler-utils) is needed to read the digests printed in the report"
    try:
        done = subprocess.run([tool, "-q", "-", "-"], input=data, capture_output=True, timeout=PDFTOTEXT_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:  # a PDF from anyone may be made to keep it busy
        return None, f"pdftotext did not finish within {PDFTOTEXT_TIMEOUT_S:g} s: the printed digests cannot be read"
    return (done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""), ""


def _check_attachments(data: bytes, v: Verification) -> None:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            files = {name: _attachment(spec.get_file().obj) for name, spec in pdf.attachments.items()}
    except (pikepdf.PdfError, ValueError, KeyError) as exc:
        v.bad(f"attachments: cannot be read ({exc})")
        return
    if not files:
        v.bad("attachments: the report carries no evidence file")
        return
    text, why_not = _printed_text(data)
    if text is None:
        v.bad(f"attachments: {why_not}")
        return
    printed = set(_DIGEST.findall(re.sub(r"[\u200b\s]+(?=[0-9a-f])", "", text)) + _DIGEST.findall(text))
    digests = {name: hashlib.sha256(blob).hexdigest() for name, blob in files.items()}
    for name, digest in sorted(digests.items()):
        if digest in printed:
            v.good(f"{name}: SHA-256 {digest} matches the digest printed in the report")
        else:
            v.bad(f"{name}: its SHA-256 {digest} is not the digest printed in the report (the attachment was changed)")
    _check_result_names_facts(files, digests, v)


def _attachment(stream: Any) -> bytes:
    """An attached file's bytes, inflated with a bound: a PDF to verify may come from anyone, and a
    few hundred kilobytes of Flate can expand to gigabytes. rollready's reports attach files as one
    Flate stream (WeasyPrint) or uncompressed; any other filter is refused rather than decoded."""
    import pikepdf

    raw = stream.read_raw_bytes()
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    if filters is None:
        return bytes(raw)
    if filters != pikepdf.Name.FlateDecode or "/DecodeParms" in stream:
        raise ValueError(f"an attachment is encoded with {filters}, which rollready's reports do not use")
    try:
        return inflate(bytes(raw), MAX_ATTACHMENT_BYTES, kind="Flate data")
    except InflateError as exc:
        raise ValueError(f"an attachment {exc}") from None


def _check_result_names_facts(files: dict[str, bytes], digests: dict[str, str], v: Verification) -> None:
    """findings.json records the SHA-256 of the facts it was evaluated from (also before-/after- pairs)."""
    for name, blob in sorted(files.items()):
        if not name.endswith("findings.json"):
            continue
        facts_name = name.replace("findings.json", "facts.json")
        if facts_name not in files:
            continue
        try:
            recorded = json.loads(blob).get("facts_sha256")
        except (ValueError, AttributeError):
            v.bad(f"{name}: not a readable result document")
            continue
        if recorded == digests[facts_name]:
            v.good(f"{name}: records facts_sha256 {recorded}, the attached {facts_name}")
        else:
            v.bad(f"{name}: records facts_sha256 {recorded}, but the attached {facts_name} has {digests[facts_name]}")
