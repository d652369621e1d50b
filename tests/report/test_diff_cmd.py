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
    assert set(d["findings"]["counts"]) == {"new", "resolved", "still_open", "not_re_evaluated", "changed"}


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


def _pdf_text(path, *pages):
    args = ["pdftotext", "-layout"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []) + [str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_the_diff_pdf_is_an_audit_document(tmp_path, capsys):
    before = scan(tmp_path / "pre", facts_document(4, upgrade_version=None))
    after = scan(tmp_path / "post", facts_document(4, upgraded=4, phase="post", upgrade_version=None))
    pdf = tmp_path / "diff.pdf"
    assert main(["diff", str(before), str(after), "--pdf", str(pdf), "--no-pdfa"]) == 0
    cover = _pdf_text(pdf, 1)
    for part in ("POST-UPGRADE DIFF", "Sign-off", "Reviewer", "Signature", "Scans compared", "Findings",
                 "Provenance and compared files", "rollready 0.1.0"):
        assert part in cover, part
    assert "post-upgrade diff" in _pdf_text(pdf, 2)  # the running header says what the document is
    text = _pdf_text(pdf)
    assert "null" not in text and "None" not in text
    assert "ClusterUpgradeVersion" in text and "not set" in text
    assert "Rule pack" in text and "rollready diff" in text  # versions of both sides, the command that made it


def test_diff_warns_when_scans_are_out_of_order_or_of_two_clusters(tmp_path, capsys):
    late = facts_document(2)
    late["scan"]["collected_at"] = "2026-11-30T06:00:00Z"
    early = facts_document(2, cluster="OTHERCLU", upgraded=2, phase="post")
    early["scan"]["collected_at"] = "2026-11-01T06:00:00Z"
    (tmp_path / "late.json").write_bytes(facts_bytes(late))
    (tmp_path / "early.json").write_bytes(facts_bytes(early))
    assert main(["diff", str(tmp_path / "late.json"), str(tmp_path / "early.json"), "--format", "json",
                 "--html", str(tmp_path / "d.html")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert any("out of order" in w for w in d["warnings"]) and any("different clusters" in w for w in d["warnings"])
    html = (tmp_path / "d.html").read_text()
    assert "WARNING: the scans are out of order" in html and "different clusters" in html
    assert main(["diff", str(tmp_path / "late.json"), str(tmp_path / "early.json")]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("WARNING: the scans are out of order")
