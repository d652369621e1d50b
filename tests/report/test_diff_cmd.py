import json
import subprocess

from report_synthetic import facts_bytes, facts_document, result_document

from scanner import exitcodes
from scanner.cli import main
from scanner.report.result_doc import canonical_json


def scan(folder, facts):
    """A folder holding a result and, beside it, the facts it was evaluated from."""
    folder.mkdir()
    result, raw = result_document(4, 4, facts=facts)
    (folder / "facts.json").write_bytes(raw)
    (folder / "findings.json").write_bytes(canonical_json(result))
    return folder / "findings.json"


def test_results_find_their_facts_next_to_them(tmp_path, capsys):
    before = scan(tmp_path / "pre", facts_document(4, hotfixes=("KB1",)))
    after = scan(tmp_path / "post", facts_document(4, upgraded=4, hotfixes=("KB1", "KB9"), phase="post"))
    assert main(["diff", str(before), str(after), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["unavailable"] == []
    assert d["before"]["files"]["facts"].endswith("pre/facts.json")
    assert all(n["os_changed"] for n in d["nodes"])
    assert d["patches"][0]["added"] == ["KB9"]
    assert set(d["findings"]["counts"]) == {"new", "resolved", "still_open", "not_re_evaluated"}


def test_facts_documents_alone_compare_everything_but_findings(tmp_path, capsys):
    (tmp_path / "a.json").write_bytes(facts_bytes(facts_document(2)))
    (tmp_path / "b.json").write_bytes(facts_bytes(facts_document(2, upgraded=1, traces=True)))
    out = tmp_path / "diff.txt"
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(out),
                 "--pdf", str(tmp_path / "d.pdf"), "--no-pdfa"]) == 0
    text = out.read_text()
    assert "OS changed" in text and "appeared" in text and "no result document" in text
    listing = subprocess.run(["pdfdetach", "-list", str(tmp_path / "d.pdf")], capture_output=True, text=True).stdout
    assert "before-facts.json" in listing and "after-facts.json" in listing


def test_wrong_facts_for_a_result_is_refused(tmp_path, capsys):
    before = scan(tmp_path / "pre", facts_document(2))
    (tmp_path / "other.json").write_bytes(facts_bytes(facts_document(3)))
    assert main(["diff", str(before), str(before), "--before-facts", str(tmp_path / "other.json"),
                 "--html", str(tmp_path / "d.html")]) == exitcodes.DATAERR
    assert "not the facts" in capsys.readouterr().err
    assert not (tmp_path / "d.html").exists()


def test_facts_option_with_a_facts_document_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "a.json").write_bytes(facts_bytes(facts_document(2)))
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "a.json"),
                 "--before-facts", str(tmp_path / "a.json")]) == exitcodes.USAGE
