"""Machine outputs of a result document: JSON (canonical), JUnit XML and CSV."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from scanner.report.result_doc import canonical_json
from scanner.report.text import clip, coverage_lines, one_line, value_text, visible

# JUnit: a finding that is not a pass is a failure (it failed its check) or an error (we could not
# tell: unknown, error, manual all hold the verdict back); waived and not_applicable are skipped;
# info is evidence, which passes (its message goes to system-out).
JUNIT_OUTCOME = {
    "pass": None,
    "info": None,
    "fail": "failure",
    "unknown": "error",
    "error": "error",
    "manual": "error",
    "waived": "skipped",
    "not_applicable": "skipped",
}

CSV_COLUMNS = (
    "rule_id", "title", "severity", "status", "blocking", "area", "scope", "subject", "node", "message",
    "detail", "evidence", "remediation", "references", "catalog", "waiver_justification", "waiver_expires",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
_XML_ILLEGAL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff]")
MAX_XML_TEXT = 4000
COVERAGE_ID = "COVERAGE"  # rows and test cases for members of the cluster the scan did not cover


def to_json(result: dict[str, Any]) -> bytes:
    """The canonical JSON of a result document (checked where it was read or by the engine's tests)."""
    return canonical_json(result)


def evidence_line(evidence: list[dict[str, Any]]) -> str:
    """All evidence of a finding on one line: `fact op expected: actual [result]; ...`."""
    parts = []
    for e in evidence:
        expected = "" if e.get("expected") is None else f" {value_text(e['expected'])}"
        parts.append(f"{e['fact']} {e['op']}{expected}: actual {value_text(e['actual'])} [{e['result']}]")
    return "; ".join(parts)


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: no formula, no hidden characters."""
    text = visible(value_text(value)) if value is not None else ""
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def to_csv(result: dict[str, Any]) -> bytes:
    """One row per finding, RFC 4180 quoting, UTF-8 with a BOM so spreadsheets detect the encoding."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in result["findings"]:
        waiver = f.get("waiver") or {}
        row = {
            **f,
            "blocking": "yes" if f["blocking"] else "no",
            "evidence": evidence_line(f["evidence"]),
            "references": " | ".join(f["references"]),
            "waiver_justification": waiver.get("justification"),
            "waiver_expires": waiver.get("expires"),
        }
        writer.writerow([_cell(row.get(col)) for col in CSV_COLUMNS])
    for line in coverage_lines(result):  # a member not scanned is named in every format
        row = {"rule_id": COVERAGE_ID, "title": "Cluster member not scanned", "severity": "critical",
               "status": "unknown", "blocking": "yes", "area": "collection", "scope": "cluster",
               "subject": result["cluster"]["name"], "message": line}
        writer.writerow([_cell(row.get(col)) for col in CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry most control characters at all; the rest are made visible."""
    return _XML_ILLEGAL.sub("\ufffd", visible(clip(text, MAX_XML_TEXT)))


def to_junit(result: dict[str, Any]) -> bytes:
    """One testsuite per area, one testcase per finding (classname rule id, name subject)."""
    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in result["findings"]:
        by_area[f["area"]].append(f)
    cluster = result["cluster"]["name"]
    root = ET.Element("testsuites", name=_xml_text(f"rollready {cluster} ({result['phase']})"))
    totals: defaultdict[str, int] = defaultdict(int)
    for area in sorted(by_area):
        suite = ET.SubElement(root, "testsuite", name=_xml_text(area), timestamp=result["generated_at"])
        props = ET.SubElement(suite, "properties")
        for name, value in _suite_properties(result):
            ET.SubElement(props, "property", name=name, value=_xml_text(value))
        counts: defaultdict[str, int] = defaultdict(int)
        for f in by_area[area]:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=_xml_text(f"{area}.{f['rule_id']}"),
                                 name=_xml_text(f["subject"]))
            outcome = JUNIT_OUTCOME[f["status"]]
            if outcome is None:
                continue
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[outcome]] += 1
            el = ET.SubElement(case, outcome, message=_xml_text(one_line(_summary(f))), type=f["status"])
            el.text = _xml_text(_body(f))
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
    gaps = coverage_lines(result)
    if gaps:
        suite = ET.SubElement(root, "testsuite", name="coverage", timestamp=result["generated_at"],
                              tests=str(len(gaps)), failures="0", errors=str(len(gaps)), skipped="0")
        for line in gaps:
            case = ET.SubElement(suite, "testcase", classname=f"coverage.{COVERAGE_ID}", name=_xml_text(line))
            ET.SubElement(case, "error", message=_xml_text(line), type="not_scanned").text = _xml_text(line)
        totals["tests"] += len(gaps)
        totals["errors"] += len(gaps)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _suite_properties(result: dict[str, Any]) -> list[tuple[str, str]]:
    props = [
        ("verdict", result["verdict"]["status"]),
        ("phase", result["phase"]),
        ("facts_sha256", result["facts_sha256"]),
        ("rule_pack_sha256", result["rule_pack"]["sha256"]),
        ("observed_phase", str(result.get("observed_phase") or "unknown")),
        ("declared_phase", str(result.get("declared_phase") or "none")),
        ("scope_narrowed", "yes" if (result.get("scope") or {}).get("narrowed") else "no"),
        ("selected_rules_sha256", str((result.get("scope") or {}).get("selected_sha256") or "not recorded")),
        ("coverage_not_scanned", ", ".join(m["name"] for m in (result.get("coverage") or {}).get("not_scanned") or [])
         or "none"),
        ("tool_version", result["tool"]["version"]),
    ]
    return props + _provenance_properties(result.get("provenance"))


def _provenance_properties(prov: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Who, where and how, so a CI job's test report carries the same provenance as the PDF."""
    if not prov:
        return []
    coll = prov.get("collection") or {}
    ev = prov.get("evaluation") or {}
    props = [("tls_verified", {True: "true", False: "false", None: "not recorded"}[prov.get("tls_verified")]),
             ("insecure", "true" if prov.get("insecure") else "false"),
             ("evaluated_on", f"{ev.get('host') or '?'} by {ev.get('os_user') or '?'}"),
             ("evaluation_command_line", " ".join(ev.get("command_line") or []))]
    if coll:
        collector = coll.get("collector") or {}
        props += [("scanner_host", coll.get("scanner_host") or ""), ("os_user", coll.get("os_user") or ""),
                  ("scan_command_line", " ".join(coll.get("command_line") or [])),
                  ("collector_version", collector.get("version", "")), ("collector_sha256", collector.get("sha256", "")),
                  ("inventory_sha256", coll.get("inventory_sha256") or "")]
        props += [(f"remote_access.{c['cluster']}", f"{c.get('account') or '-'} {c['auth']} {c['scheme']} tls={c['tls']}")
                  for c in coll.get("connections") or []]
    return props


def _summary(f: dict[str, Any]) -> str:
    if f["status"] == "waived":
        return f"waived: {(f.get('waiver') or {}).get('justification', '')}"
    return f"[{f['severity']}] {f['status']}: {f.get('detail') or f['message'] or f['title']}"


def _body(f: dict[str, Any]) -> str:
    lines = [f"{f['rule_id']} {f['title']} ({f['severity']}, {f['status']}) on {f['subject']}"]
    for label, value in (("message", f["message"]), ("detail", f.get("detail")),
                         ("evidence", evidence_line(f["evidence"])), ("remediation", f["remediation"]),
                         ("references", " ".join(f["references"]))):
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)
