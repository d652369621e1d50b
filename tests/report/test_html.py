import re

from report_synthetic import HOSTILE, LONG

from scanner.report.writer import render_html


def test_report_opens_with_the_verdict_and_its_reason(small):
    result = small[0]
    html = render_html(result, small[1])
    body = html[html.index("<body"):]
    first = body.index(result["verdict"]["status"])
    assert first < body.index(">Summary<")
    assert result["verdict"]["reason"] in body[first:first + 500]


def test_html_is_self_contained(small):
    html = render_html(*small)
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"\b(src|href)\s*=\s*\"(?!#)", html)
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in html  # and the browser is told not to fetch anything


def test_sections_counts_matrix_and_metadata(small):
    result, facts = small
    html = render_html(result, facts)
    for section in ("summary", "matrix", "failing", "not-checked", "waived", "rules", "metadata"):
        assert f'id="{section}"' in html
    for node in result["cluster"]["nodes"]:
        assert f">{node['name']}<" in html
    assert result["facts_sha256"] in html and result["rule_pack"]["sha256"] in html
    assert "2026.11" in html and "CORP\\admin" in html and result["generated_at"] in html
    assert "Windows Server 2012R2 → 2016" in html
    failing = html[html.index('id="failing"'):html.index('id="not-checked"')]
    for f in result["findings"]:
        if f["status"] == "fail":
            assert f["subject"] in failing and f["rule_id"] in failing
    waived = html[html.index('id="waived"'):html.index('id="rules"')]
    assert "Accepted by change board CAB-1234" in waived
    assert "Accepted by change board" not in failing


def test_could_not_be_checked_lists_every_unknown_error_and_manual(small):
    result, facts = small
    html = render_html(result, facts)
    section = html[html.index('id="not-checked"'):html.index('id="waived"')]
    assert "has" in section[:60]  # framed: impossible to miss
    assert "NODE03" in section and "connection refused" in section
    assert result["collection_problems"] and all(g in section for g in result["collection_problems"])
    for f in result["findings"]:
        if f["status"] in ("unknown", "error", "manual"):
            assert f["rule_id"] in section and f["subject"] in section


def test_hostile_strings_render_inert(hostile):
    result, facts = hostile
    html = render_html(result, facts)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html  # data is never template source
    assert "\u202e" not in html and "⟦U+202E⟧" in html
    assert LONG not in html  # 10 KB strings are cut, with a pointer to the full text
    assert "more characters in findings.json" in html
    assert len(html) < 400_000
    assert HOSTILE.strip()[:8] == "<script>"  # the fixture really is hostile


def test_go_report_says_nothing_failed():
    from report_synthetic import result_document

    result, facts = result_document(2, 3, fail_rate=0.0, waived=0)
    result["findings"] = [f for f in result["findings"] if f["status"] in ("pass", "not_applicable")]
    result["verdict"] = {"status": "GO", "reason": "Every check passed.", "exit_code": 0, "counts": {}}
    html = render_html(result, facts)
    assert "No rule failed." in html and "Every rule could be evaluated." in html
    assert 'class="verdict go"' in html


def test_nodes_with_the_same_matrix_row_share_it_and_are_all_named() -> None:
    """A row per node costs the PDF ~40 boxes; identical rows are shown once, naming every node."""
    from scanner import paths
    from scanner.engine.run import evaluate_facts
    from scanner.lab import load_scenario, scenario_facts
    from scanner.pipeline import RuleOptions, load_rule_set

    facts = scenario_facts(load_scenario(str(paths.SCENARIOS_DIR / "healthy-2012r2.yaml")))
    facts["nodes"] += [dict(facts["nodes"][2], name=f"NODE{i}") for i in (4, 5)]
    rules = load_rule_set(RuleOptions())
    result, _ = evaluate_facts(facts, rules.pack, rules.catalogs, phase="pre", target_os="2016", facts_sha256="0" * 64)
    html = render_html(result, None)
    matrix = html[html.index('id="matrix"'):html.index('id="failing"')]
    assert matrix.count('<th class="node') < len(facts["nodes"]) + 1  # fewer rows than nodes (+ cluster-wide)
    assert "alike</span>" in matrix and 'class="alike"' in matrix
    for node in facts["nodes"]:
        assert node["name"] in matrix


def test_a_matrix_cell_is_one_run_of_counts_in_status_order() -> None:
    from scanner.report.context import Cell

    cell = Cell({"pass": 3, "fail": 1, "error": 2, "not_applicable": 4})
    assert cell.text == "✗\u20601 !\u20602 ✓\u20603"  # n/a left out when something else applies
    assert Cell({"not_applicable": 4}).text == "–\u20604" and Cell({}).text == ""
