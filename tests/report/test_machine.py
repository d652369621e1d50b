import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter

from scanner.report.machine import CSV_COLUMNS, JUNIT_OUTCOME, to_csv, to_json, to_junit


def test_json_is_canonical(small):
    data = to_json(small[0])
    assert json.loads(data) == small[0]
    assert to_json(json.loads(data)) == data


def test_junit_one_testcase_per_finding_with_mapped_outcomes(small):
    result = small[0]
    root = ET.fromstring(to_junit(result))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(result["findings"])
    seen = Counter()
    for case, finding in zip(sorted(cases, key=lambda c: (c.get("classname"), c.get("name"))),
                             sorted(result["findings"], key=lambda f: (f"{f['area']}.{f['rule_id']}", f["subject"]))):
        assert case.get("classname") == f"{finding['area']}.{finding['rule_id']}"
        children = [child.tag for child in case]
        expected = JUNIT_OUTCOME[finding["status"]]
        assert children == ([] if expected is None else [expected])
        seen[finding["status"]] += 1
    assert {"pass", "fail", "unknown", "error", "manual", "waived"} <= set(seen)
    statuses = Counter(f["status"] for f in result["findings"])
    assert int(root.get("failures")) == statuses["fail"]
    assert int(root.get("errors")) == statuses["unknown"] + statuses["error"] + statuses["manual"]
    assert int(root.get("skipped")) == statuses["waived"] + statuses["not_applicable"]
    assert int(root.get("tests")) == len(result["findings"])


def test_junit_survives_control_characters(small):
    result = small[0]
    result["findings"][0]["status"] = "fail"
    result["findings"][0]["message"] = "bad \x00\x1b[31m byte \u202e"
    root = ET.fromstring(to_junit(result))  # parses: nothing illegal in XML 1.0 left
    text = ET.tostring(root, encoding="unicode")
    assert "\x1b" not in text and "\u202e" not in text and "U+202E" in text


def test_csv_one_row_per_finding_quoted_and_formula_safe(small):
    result = small[0]
    result["findings"][0]["message"] = '=HYPERLINK("http://x","click"), with "quotes"\nand a newline'
    result["findings"][1]["subject"] = "+cmd|' /C calc'!A0"
    result["findings"][2]["message"] = "@SUM(A1:A2)"
    result["findings"][3]["message"] = "-2+3"
    data = to_csv(result)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + len(result["findings"])
    col = {name: i for i, name in enumerate(CSV_COLUMNS)}
    assert rows[1][col["message"]] == "'" + result["findings"][0]["message"]
    assert rows[2][col["subject"]] == "'+cmd|' /C calc'!A0"
    assert rows[3][col["message"]] == "'@SUM(A1:A2)"
    assert rows[4][col["message"]] == "'-2+3"
    for row in rows[1:]:
        assert not row[col["message"]].startswith(("=", "+", "-", "@"))
        assert row[col["status"]] in {"pass", "fail", "unknown", "error", "manual", "waived", "not_applicable"}
