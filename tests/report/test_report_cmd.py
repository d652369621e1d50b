import json

from scanner import exitcodes
from scanner.cli import main
from scanner.report.result_doc import canonical_json


def write(tmp_path, small):
    result, facts = small
    (tmp_path / "findings.json").write_bytes(canonical_json(result))
    (tmp_path / "facts.json").write_bytes(facts)
    return str(tmp_path / "findings.json"), str(tmp_path / "facts.json")


def test_json_to_stdout_is_the_canonical_document(small, tmp_path, capsysbinary):
    findings, _ = write(tmp_path, small)
    assert main(["report", findings, "--format", "json"]) == 0
    assert capsysbinary.readouterr().out == canonical_json(small[0])


def test_html_and_csv_to_files(small, tmp_path):
    findings, facts = write(tmp_path, small)
    assert main(["report", findings, "--format", "html", "--out", str(tmp_path / "r.html"), "--facts", facts]) == 0
    assert "matches the result" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["report", findings, "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_bytes().count(b"\r\n") == 1 + len(small[0]["findings"])


def test_a_facts_document_is_named_as_the_wrong_input(small, tmp_path, capsys):
    _, facts = write(tmp_path, small)
    assert main(["report", facts, "--format", "html", "--out", str(tmp_path / "r.html")]) == exitcodes.DATAERR
    assert "this is a facts document" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_invalid_result_and_wrong_facts_are_data_errors(small, tmp_path, capsys):
    findings, facts = write(tmp_path, small)
    doc = json.loads((tmp_path / "findings.json").read_text())
    doc["verdict"]["status"] = "MAYBE"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    assert main(["report", str(tmp_path / "bad.json"), "--format", "csv"]) == exitcodes.DATAERR
    assert "bad.json: /verdict/status" in capsys.readouterr().err
    (tmp_path / "other.json").write_text("{}")
    out = str(tmp_path / "r.html")
    assert main(["report", findings, "--format", "html", "--out", out, "--facts", str(tmp_path / "other.json")]) == 65
    assert "not the one this result was evaluated from" in capsys.readouterr().err


def test_pdf_needs_an_output_file(small, tmp_path, capsys):
    findings, _ = write(tmp_path, small)
    assert main(["report", findings, "--format", "pdf"]) == exitcodes.USAGE
    assert "--format pdf needs --out FILE" in capsys.readouterr().err
