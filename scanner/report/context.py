"""From a result document to what the report templates show: grouped, counted, ordered.

Reports must say more in fewer pages: passes are counted (node x area matrix, rule summary), while
every failing finding and everything that could not be checked is listed in full.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from scanner.model import SEVERITIES, STATUSES, Severity, Status
from scanner.report import audit
from scanner.report.text import clip, human

PROBLEM = "fail"
NOT_CHECKED = ("unknown", "error", "manual")
STATUS_LABEL = {
    "fail": "fail", "unknown": "unknown", "error": "error", "manual": "manual",
    "waived": "waived", "pass": "pass", "not_applicable": "n/a", "info": "info",
}
STATUS_SYMBOL = {
    "fail": "✗", "unknown": "?", "error": "!", "manual": "✎", "waived": "w", "pass": "✓", "not_applicable": "–",
    "info": "i",
}
VERDICT_CSS = {"GO": "go", "GO WITH WARNINGS": "warn", "NO-GO": "nogo", "INCOMPLETE": "incomplete"}
CLUSTER_ROW = "(cluster-wide)"
NAME_LIMIT = 200  # cluster and node names head pages and rows; only absurd ones are cut
# Passing subjects are named up to this many in one line (a passed check's evidence, the matrix's alike
# nodes); beyond, they are counted when the count is exact. Failing and unchecked ones are always named.
NAMED = 16


@dataclass(frozen=True)
class Digest:
    """One evidence file an auditor can verify: its name, SHA-256, and whether the PDF carries it."""

    label: str
    name: str
    sha256: str | None
    attached: bool
    note: str = ""


@dataclass
class Cell:
    counts: dict[str, int]

    @property
    def worst(self) -> str:
        return next((s for s in STATUSES if self.counts.get(s)), "empty")

    @property
    def parts(self) -> list[tuple[Status, str, int]]:
        """(status, symbol, count) for each status present, not_applicable left out unless alone."""
        shown: list[tuple[Status, str, int]] = [
            (s, STATUS_SYMBOL[s], self.counts[s]) for s in STATUSES if self.counts.get(s) and s != "not_applicable"
        ]
        if not shown and self.counts.get("not_applicable"):
            shown = [("not_applicable", STATUS_SYMBOL["not_applicable"], self.counts["not_applicable"])]
        return shown

    @property
    def text(self) -> Markup:
        """The cell as one run of text, "✗1 !1 ✓3": a word joiner keeps each symbol with its count (a
        line may break after "!"), spaces let a narrow cell wrap between counts. One text box per cell,
        not a span per count: the matrix cost the PDF twice a bare table's time per page with spans, and
        the cell's colour (its worst status) already says what the reddest count says."""
        # Markup: our own symbols and integers, so the finalizer that shows hidden characters of
        # document text (scanner/inert.py) leaves the word joiner alone.
        return Markup(" ".join(f"{sym}\u2060{n}" for _, sym, n in self.parts))


@dataclass
class MatrixRow:
    label: str
    os: str
    reachable: bool | None
    cells: list[Cell]
    alike: list[str] = field(default_factory=list)  # further nodes with this very row (OS, reachability, counts)
    # the alike nodes are counted, not named: "every node not named elsewhere in the matrix" (_count_the_rest)
    alike_counted: bool = False


@dataclass
class RuleGroup:
    """Findings of one rule, with what they share said once."""

    rule_id: str
    title: str
    severity: Severity
    area: str
    blocking: bool
    remediation: str | None  # shared by every finding, else None and each row has its own
    references: list[str]
    catalog: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RuleSummary:
    rule_id: str
    title: str
    severity: Severity
    area: str
    counts: dict[str, int]

    @property
    def worst(self) -> str:
        return next((s for s in STATUSES if self.counts.get(s)), "empty")


def build_context(
    result: dict[str, Any], *, digests: list[Digest], medium: str, notes: list[str] | None = None
) -> dict[str, Any]:
    """Everything the report template needs, computed once; medium is "screen" or "print"."""
    findings = result["findings"]
    verdict = result["verdict"]
    name = clip(result["cluster"]["name"], NAME_LIMIT)
    expired = audit.expired_waivers(result)
    failure = audit.collection_failure(result)
    return {
        "medium": medium,
        "result": result,
        "cluster_name": name,
        "phase": result["phase"],
        "title": f"Rolling upgrade readiness: {name} ({result['phase']})",
        "verdict": {**verdict, "css": VERDICT_CSS[verdict["status"]]},
        "upgrade": _upgrade_text(result),
        "notes": list(notes or []) + _scan_notes(result, failure),
        "meta": _meta_rows(result),
        "provenance": audit.provenance_rows(result),
        "insecure": bool((result.get("provenance") or {}).get("insecure")),
        "tls_line": audit.tls_line(result),
        "coverage_line": audit.coverage_line(result),
        "scope_note": audit.scope_note(result),
        "scope_rows": audit.scope_rows(result),
        "failure": failure,
        "short": failure.all_down,
        "digests": digests,
        "statuses": STATUSES,
        "severities": SEVERITIES,
        "status_label": STATUS_LABEL,
        "status_symbol": STATUS_SYMBOL,
        "counts": _counts(findings),
        "matrix": _matrix(result),
        "rules": _rule_summaries(findings),
        "problems": _by_severity(f for f in findings if f["status"] == PROBLEM),
        "expired_waiver": expired,  # (rule_id, subject) -> the waiver that no longer hides it
        "not_checked": _not_checked(result),
        "waived": [f for f in findings if f["status"] == "waived"],
        "waiver_rows": audit.waiver_rows(result),
        "attestation_rows": audit.attestation_rows(result),
        "passes": _pass_evidence([f for f in findings if f["status"] == "pass"]),
        "named": NAMED,
        "information": [f for f in findings if f["status"] == "info"],
        "total": len(findings),
    }


def _upgrade_text(result: dict[str, Any]) -> str:
    src, dst = result.get("source_os"), result.get("target_os")
    if src and dst:
        return f"Windows Server {src} → {dst}"
    if dst:
        return f"to Windows Server {dst} (source OS not collected)"
    if src:
        return f"from Windows Server {src} (target OS not given)"
    return "source and target OS not given"


def _scan_notes(result: dict[str, Any], failure: audit.CollectionFailure) -> list[str]:
    scan = result.get("scan") or {}
    notes = []
    if scan.get("partial"):
        notes.append("The scan was interrupted: some nodes were not collected. Their rules are unknown.")
    down = [n["name"] for n in result["cluster"]["nodes"] if not n["reachable"]]
    if failure.all_down:
        notes.append("No node was reached, so no fact was collected: every rule is unknown and this report is "
                     "only the list of what failed. Fix the access problem and scan again.")
    elif down:
        notes.append(f"Not reachable: {', '.join(down)}. Every rule on these nodes is unknown.")
    observed, declared = result.get("observed_phase"), result.get("declared_phase")
    if observed and declared and observed != declared:
        notes.append(f"The scan was declared as phase {declared}, but the facts show phase {observed}: the rules of "
                     f"the {observed} phase were evaluated.")
    return notes


def _meta_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    scan = result.get("scan") or {}
    pack = result["rule_pack"]
    tool = result["tool"]
    rows = [
        ("Cluster", result["cluster"]["name"]),
        ("Phase", result["phase"]),
        ("Upgrade", _upgrade_text(result)),
        ("Functional level", _maybe(result["cluster"].get("functional_level"))),
        ("ClusterUpgradeVersion", _maybe(result["cluster"].get("upgrade_version"))),
        ("Report generated (UTC)", result["generated_at"]),
        ("Rules evaluated as of", _maybe(result.get("evaluated_at"))),
        ("Facts collected (UTC)", _maybe(scan.get("collected_at"))),
        ("Collection method", _maybe(scan.get("method"))),
        ("Operator", _maybe(scan.get("operator"))),
        ("Inventory", _maybe(scan.get("inventory"))),
        ("Tool", f"{tool['name']} {tool['version']}"),
        ("Rule pack", f"version {pack.get('version') or 'unversioned'}, {pack['rules']} rules"),
        ("Rule pack SHA-256", pack["sha256"]),
    ]
    for path in pack.get("paths") or []:
        rows.append(("Rule pack path", path))
    for cat in pack.get("catalogs") or []:
        if isinstance(cat, str):
            rows.append(("Catalog", cat))
        else:
            rows.append((f"Catalog {cat['name']}", f"{cat['sha256']}  {cat.get('path') or ''}".strip()))
    return rows


def _maybe(value: Any) -> str:
    return "not recorded" if value is None or value == "" else human(value)


def _counts(findings: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Counter[str]] = {s: Counter() for s in STATUSES}
    for f in findings:
        table[f["status"]][f["severity"]] += 1
    rows = [(s, dict(table[s]), sum(table[s].values())) for s in STATUSES]
    by_severity = {sev: sum(table[s][sev] for s in STATUSES) for sev in SEVERITIES}
    return {"rows": rows, "by_severity": by_severity, "by_status": {s: t for s, _, t in rows}}


def _matrix(result: dict[str, Any]) -> dict[str, Any]:
    findings = result["findings"]
    areas = sorted({f["area"] for f in findings})
    cells: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for f in findings:
        cells[(f["node"] or CLUSTER_ROW, f["area"])][f["status"]] += 1
    nodes = result["cluster"]["nodes"]
    known = {n["name"] for n in nodes}
    rows: list[MatrixRow] = []
    same: dict[tuple[Any, ...], MatrixRow] = {}
    labels = [(CLUSTER_ROW, "", None)] + [(n["name"], _os_text(n), n["reachable"]) for n in nodes]
    labels += [(name, "", None) for name in sorted({f["node"] for f in findings if f["node"]} - known)]
    for label, os_text, reachable in labels:
        row_cells = [Cell(dict(cells.get((label, a), {}))) for a in areas]
        if label == CLUSTER_ROW and not any(c.counts for c in row_cells):
            continue
        # Nodes whose row would repeat one already shown are named in it instead: a row per node
        # costs the PDF ~40 boxes, and a fleet of identical healthy nodes is read faster as one row.
        key = (os_text, reachable, tuple(tuple(sorted(c.counts.items())) for c in row_cells))
        if label != CLUSTER_ROW and key in same:
            same[key].alike.append(clip(label, NAME_LIMIT))
            continue
        row = MatrixRow(clip(label, NAME_LIMIT), clip(os_text, NAME_LIMIT), reachable, row_cells)
        rows.append(row)
        if label != CLUSTER_ROW:
            same[key] = row
    _count_the_rest(rows)
    return {"areas": areas, "rows": rows}


CLEAN = frozenset({"pass", "not_applicable", "info", "empty"})  # nothing failed, waived or unchecked


def _count_the_rest(rows: list[MatrixRow]) -> None:
    """The longest list of alike nodes is counted instead of named ("the 998 nodes not named elsewhere
    in this matrix": exact, since every node is named once, as a row or alike) when it would name more
    than NAMED nodes and their row is clean. Nodes with a failing, waived or unchecked count are always
    named."""
    clean = [r for r in rows if len(r.alike) > NAMED and all(c.worst in CLEAN for c in r.cells)]
    if clean:
        max(clean, key=lambda r: len(r.alike)).alike_counted = True


def _os_text(node: dict[str, Any]) -> str:
    if not node["reachable"]:
        return "unreachable"
    return node.get("os_version") or (str(node["build"]) if node.get("build") else "") or "OS unknown"


def _rule_summaries(findings: list[dict[str, Any]]) -> list[RuleSummary]:
    rules: dict[str, RuleSummary] = {}
    for f in findings:
        rs = rules.get(f["rule_id"])
        if rs is None:
            rs = rules[f["rule_id"]] = RuleSummary(f["rule_id"], f["title"], f["severity"], f["area"], Counter())
        rs.counts[f["status"]] += 1
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rules.values(), key=lambda r: (order[r.severity], r.rule_id))


def _groups(findings: list[dict[str, Any]]) -> list[RuleGroup]:
    """Findings grouped by rule, in first-seen order, remediation said once when all agree."""
    groups: dict[str, RuleGroup] = {}
    for f in findings:
        g = groups.get(f["rule_id"])
        if g is None:
            g = groups[f["rule_id"]] = RuleGroup(
                f["rule_id"], f["title"], f["severity"], f["area"], f["blocking"],
                f["remediation"], list(f["references"]), f.get("catalog"),
            )
        elif g.remediation is not None and g.remediation != f["remediation"]:
            g.remediation = None
        for ref in f["references"]:
            if ref not in g.references:
                g.references.append(ref)
        g.rows.append(f)
    return sorted(groups.values(), key=lambda g: g.rule_id)


@dataclass
class PassLine:
    """One fact read by a passing rule, with the value it had and every subject that had that value.

    A fact read through a loop variable for many elements (`member[N0001].state`, one per member) is one
    line `member[*].state` with the elements listed. Past NAMED, subjects and elements are counted instead
    of named (`on`, `each`): "all N", "the other N" (every one not on another line of the same fact) or
    "N of the M"; the first two are exact, so the reader can tell any subject's value from the report."""

    fact: str
    op: str
    expected: Any
    actual: Any
    subjects: list[str]
    elements: list[str] = field(default_factory=list)  # the loop's elements, when fact has a `[*]`
    on: str = ""  # the subjects counted, when they are not named
    each: str = ""  # the elements counted, when they are not named


_ONE_LOOP = re.compile(r"^([^\[\]]+)\[([^\[\]]+)\]([^\[\]]*)$")  # head[label]rest, a single loop variable


def _pass_evidence(findings: list[dict[str, Any]]) -> list[tuple[RuleGroup, list[PassLine]]]:
    """Passing findings by rule, their evidence merged where the values agree: a 64-node cluster whose
    nodes all read os.build 14393 gives one line, not 64 (pages are the cost), saying "all 64 passing
    nodes" instead of naming them. A finding that recorded no fact gets a line of its own."""
    out = []
    for g in _groups(findings):
        lines: dict[tuple[str, str, str, str], PassLine] = {}
        for f in g.rows:
            for e in f["evidence"] or [{"fact": "", "op": "", "expected": None, "actual": None}]:
                key = (e["fact"], e["op"], human(e["expected"]), human(e["actual"]))
                line = lines.get(key)
                if line is None:
                    line = lines[key] = PassLine(e["fact"], e["op"], e["expected"], e["actual"], [])
                if not line.subjects or line.subjects[-1] != f["subject"]:  # a rule may read a fact twice
                    line.subjects.append(f["subject"])
        noun = "passing nodes" if all(f["subject"] == f["node"] for f in g.rows) else "passing subjects"
        merged = _merge_loops(list(lines.values()))
        by_fact = _by_fact(merged)
        passed = {f["subject"] for f in g.rows}
        for same in by_fact:
            for line, said in zip(same, _counted([line.subjects for line in same], passed, noun)):
                line.on = said
        for same in _by_fact([line for line in merged if line.elements]):
            read = {e for line in same for e in line.elements}
            for line, said in zip(same, _counted([line.elements for line in same], read, "read")):
                line.each = said
        out.append((g, [line for same in by_fact for line in sorted(same, key=lambda line: line.on.startswith("the other"))]))
    return out


def _merge_loops(lines: list[PassLine]) -> list[PassLine]:
    """Lines of a fact read through one loop variable, alike but for the element, as one `head[*]rest`
    line listing the elements (a cluster rule reading every member's state: one line, not 1,000)."""
    out: list[PassLine] = []
    loops: dict[tuple[str, str, str, str, tuple[str, ...]], PassLine] = {}
    for line in lines:
        m = _ONE_LOOP.match(line.fact)
        if not m:
            out.append(line)
            continue
        key = (f"{m[1]}[*]{m[3]}", line.op, human(line.expected), human(line.actual), tuple(line.subjects))
        loop = loops.get(key)
        if loop is None:
            loop = loops[key] = PassLine(key[0], line.op, line.expected, line.actual, line.subjects)
            out.append(loop)
        loop.elements.append(m[2])
    return out


def _by_fact(lines: list[PassLine]) -> list[list[PassLine]]:
    """The lines of one rule grouped by what was read (fact, operator, expected), in first-seen order."""
    groups: dict[tuple[str, str, str], list[PassLine]] = {}
    for line in lines:
        groups.setdefault((line.fact, line.op, human(line.expected)), []).append(line)
    return list(groups.values())


def _counted(names: list[list[str]], universe: set[str], noun: str) -> list[str]:
    """For the names (subjects or elements) on each line of one fact, what the line says instead of
    naming more than NAMED ("" where it names them): "all N" when they are the whole universe, "the other
    N" for the largest when it is exactly what no other line names, else "N of the M"."""
    said = [f"all {len(universe):,} {noun}" if len(n) > NAMED and set(n) == universe else "" for n in names]
    if not any(said) and names:
        largest = max(range(len(names)), key=lambda i: len(names[i]))
        others = {n for i, ns in enumerate(names) if i != largest for n in ns}
        if len(names[largest]) > NAMED and set(names[largest]) == universe - others:
            said[largest] = f"the other {len(names[largest]):,} {noun}"
    return [s or (f"{len(n):,} of the {len(universe):,} {noun}" if len(n) > NAMED else "") for s, n in zip(said, names)]


def _by_severity(findings: Any) -> list[dict[str, Any]]:
    by_sev: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_sev[f["severity"]].append(f)
    out = []
    for sev in SEVERITIES:
        if by_sev[sev]:
            out.append({"severity": sev, "count": len(by_sev[sev]), "groups": _groups(by_sev[sev])})
    return out


def _not_checked(result: dict[str, Any]) -> dict[str, Any]:
    """Unknown, error and manual findings; rows with the same status and reason share one line."""
    findings = [f for f in result["findings"] if f["status"] in NOT_CHECKED]
    groups = _groups(findings)
    for g in groups:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for f in g.rows:
            reason = f.get("detail") or f["message"] or ""
            key = (f["status"], reason)
            if key not in merged:
                merged[key] = {"status": f["status"], "reason": reason, "subjects": [], "evidence": f["evidence"]}
            merged[key]["subjects"].append(f["subject"])
        g.rows = list(merged.values())
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups.sort(key=lambda g: (not g.blocking, order[g.severity], g.rule_id))
    unreachable = [n for n in result["cluster"]["nodes"] if not n["reachable"]]
    node_errors = [n for n in result["cluster"]["nodes"] if n["reachable"] and n.get("errors")]
    by_status = Counter(f["status"] for f in findings)
    gaps = result.get("collection_problems") or []
    return {
        "count": len(findings),
        "collection_problems": gaps,
        "any": bool(findings or unreachable or node_errors or gaps),
        "blocking": sum(1 for f in findings if f["blocking"]),
        "by_status": {s: by_status[s] for s in NOT_CHECKED},
        "groups": groups,
        "unreachable": unreachable,
        "node_errors": node_errors,
    }
