"""write_reports: every requested format rendered first, then each written atomically."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from scanner import exitcodes
from scanner.atomic import write_atomic
from scanner.errors import InputError, OutputError, Problem, RollreadyError
from scanner.report import html as html_mod
from scanner.report import machine
from scanner.report.context import Digest, build_context
from scanner.report.result_doc import canonical_json, sha256_hex
from scanner.report.signing import SigningKey, sign_pdf

FORMATS = ("html", "pdf", "json", "junit", "csv")


class ReportError(RollreadyError):
    """A report could not be rendered or written; nothing partial is left behind (exit 70)."""

    exit_code = exitcodes.INTERNAL


def digests(result: dict[str, Any], facts_bytes: bytes | None, *, attached: bool,
            result_json: bytes | None = None) -> list[Digest]:
    """The evidence files and their SHA-256; a facts file that is not the one evaluated is refused.
    result_json: canonical_json(result) when the caller has it already (33 MB at 1,000 nodes)."""
    recorded = result["facts_sha256"]
    if facts_bytes is None:
        facts = Digest("Facts document", "facts.json", recorded, False,
                       "as recorded in the result; the facts file was not supplied to the report")
    else:
        actual = sha256_hex(facts_bytes)
        if actual != recorded:
            raise InputError([Problem(
                f"the facts file is not the one this result was evaluated from "
                f"(its SHA-256 is {actual}, the result records {recorded})")])
        facts = Digest("Facts document", "facts.json", actual, attached, "matches the result's facts_sha256")
    findings = Digest("Result document", "findings.json", sha256_hex(result_json or canonical_json(result)), attached,
                      "canonical JSON of this result (rollready report --format json)")
    return [facts, findings]


def render_html(result: dict[str, Any], facts_bytes: bytes | None = None, *, medium: str = "screen",
                result_json: bytes | None = None) -> str:
    files = digests(result, facts_bytes, attached=medium == "print", result_json=result_json)
    return html_mod.render("report.html.j2", build_context(result, digests=files, medium=medium))


class PdfUnavailable(RollreadyError):
    """WeasyPrint's system libraries (Pango, HarfBuzz) are missing: no PDF, the other reports are written (exit 69)."""

    exit_code = exitcodes.UNAVAILABLE


WEASYPRINT_INSTALL = "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html"


def pdf_layout() -> Callable[..., bytes]:
    """WeasyPrint's layout function, or PdfUnavailable when its system libraries are missing."""
    try:
        from scanner.report.pdf import render_pdf as layout
    except OSError as exc:  # WeasyPrint opens Pango through cffi at import: a missing library is an OSError
        reason = " ".join(str(exc).split())[:200]
        raise PdfUnavailable(
            f"no PDF written: WeasyPrint cannot load its system libraries ({reason}); install Pango as "
            f"WeasyPrint's installation notes say for this platform ({WEASYPRINT_INSTALL}; on Windows: MSYS2 "
            "and `pacman -S mingw-w64-ucrt-x86_64-pango`, or WEASYPRINT_DLL_DIRECTORIES); the other reports "
            "were written") from exc
    return layout


def render_pdf(result: dict[str, Any], facts_bytes: bytes | None = None, *, pdfa: bool = True,
               result_json: bytes | None = None) -> bytes:
    layout = pdf_layout()
    from scanner.report.pdf import Attached

    result_json = result_json or canonical_json(result)
    files = [Attached("findings.json", result_json, "rollready result document (canonical JSON)")]
    if facts_bytes is not None:
        files.insert(0, Attached("facts.json", facts_bytes, "rollready facts document, as evaluated", "Source"))
    return layout(render_html(result, facts_bytes, medium="print", result_json=result_json), attachments=files,
                  pdfa=pdfa)


def signed(pdf: bytes, sign: SigningKey | None) -> bytes:
    """The PDF as rendered, or with a PAdES signature appended when a signing key is given."""
    return pdf if sign is None else sign_pdf(pdf, sign)


def render_format(fmt: str, result: dict[str, Any], facts_bytes: bytes | None, *, pdfa: bool = True,
                  sign: SigningKey | None = None, result_json: bytes | None = None) -> bytes:
    """One report as bytes. Library failures become ReportError naming the format. result_json:
    canonical_json(result), when the caller renders several formats that all need it."""
    renderers: dict[str, Callable[[], bytes]] = {
        "html": lambda: render_html(result, facts_bytes, result_json=result_json).encode("utf-8"),
        "pdf": lambda: signed(render_pdf(result, facts_bytes, pdfa=pdfa, result_json=result_json), sign),
        "json": lambda: result_json or machine.to_json(result),
        "junit": lambda: machine.to_junit(result),
        "csv": lambda: machine.to_csv(result),
    }
    return guarded(fmt, renderers[fmt])


def guarded(fmt: str, render: Callable[[], bytes]) -> bytes:
    """Run one renderer; a Jinja2 or WeasyPrint failure of any kind becomes a one-line ReportError."""
    try:
        return render()
    except RollreadyError:
        raise
    except Exception as exc:  # the renderer boundary: third-party layout code can raise anything
        raise ReportError(f"{fmt} report could not be rendered: {type(exc).__name__}: {exc}") from exc


def write_all(rendered: list[tuple[Path, bytes]]) -> list[Path]:
    """Write already-rendered reports, each atomically."""
    written = []
    for path, data in rendered:
        try:
            written.append(write_atomic(path, data))
        except OSError as exc:
            raise OutputError([Problem(f"cannot write the report: {exc.strerror or exc}", file=str(path))]) from exc
    return written


def write_reports(
    result: dict[str, Any],
    facts_bytes: bytes | None,
    *,
    html: str | Path | None = None,
    pdf: str | Path | None = None,
    json: str | Path | None = None,
    junit: str | Path | None = None,
    csv: str | Path | None = None,
    pdfa: bool = True,
    sign: SigningKey | None = None,
) -> list[Path]:
    """Render every requested report, then write each atomically; returns the paths written.

    All renders happen before the first write, so a failure leaves no new file at all; the one
    exception is a host without WeasyPrint's libraries: the other reports are written, then
    PdfUnavailable is raised. The result is not schema-checked here: it was built by the engine
    (whose output the tests check against the schema) or read from a file by a command that checked
    it on reading.
    """
    targets = {"html": html, "pdf": pdf, "json": json, "junit": junit, "csv": csv}
    rendered: list[tuple[Path, bytes]] = []
    unavailable: PdfUnavailable | None = None
    # HTML and PDF print its digest, the PDF embeds it, JSON is it: serialised once, not per format.
    result_json = guarded("json", lambda: canonical_json(result)) if html or pdf or json else None
    for fmt, path in targets.items():
        if path is None:
            continue
        try:
            rendered.append((Path(path), render_format(fmt, result, facts_bytes, pdfa=pdfa, sign=sign,
                                                       result_json=result_json)))
        except PdfUnavailable as exc:
            unavailable = exc
    written = write_all(rendered)
    if unavailable is not None:
        raise unavailable
    return written
