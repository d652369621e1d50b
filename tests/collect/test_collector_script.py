"""Structure of collector.ps1, checked without PowerShell (none can be installed here).

What is checked: the version marker; PowerShell 4.0 syntax (a deny-list of 5.0+/7 constructs);
read-only commands only; every collecting command inside a section (Invoke-Section = try/catch
with timing, its block run in a worker runspace with a budget); the WMI probes first; section
blocks use only what a worker runspace is given; the section keys cover the facts schema's node and
cluster properties exactly; one ConvertTo-Json output at the end.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pwsh_syntax import powershell_errors

from scanner.collect import COLLECTOR_MARKER, COLLECTOR_VERSION, collector_script
from scanner.collect.wire import PREFIX
from scanner.paths import SCHEMAS_DIR

SCRIPT = collector_script()


def _strip(text: str) -> str:
    """Blank out comments and string literals (keeping lengths and newlines) so braces and
    tokens can be counted on code only."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("<#", i):
            end = text.index("#>", i) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "#":
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif c in "'\"":
            j = i + 1
            while j < n:
                if text[j] == "`" and c == '"':
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:  # doubled quote escapes itself
                        j += 2
                        continue
                    break
                j += 1
            out.append(c + re.sub(r"[^\n]", "_", text[i + 1 : j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


CODE = _strip(SCRIPT)


def _matching(code: str, open_at: int) -> int:
    """Index of the brace closing the one at open_at."""
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    raise AssertionError(f"unbalanced brace at offset {open_at}")


def _functions(code: str) -> dict[str, tuple[int, int]]:
    found = {}
    for m in re.finditer(r"^function\s+([\w-]+)\s*\{", code, re.M):
        found[m.group(1)] = (m.start(), _matching(code, m.end() - 1) + 1)
    return found


def _sections(code: str) -> list[dict]:
    """Every Invoke-Section call: name, target, keys and the span of its -Block."""
    sections = []
    pattern = re.compile(
        r"Invoke-Section -Name '(?P<name>[\w.]+)' -Target \$(?P<target>[\w:]+) "
        r"-Keys @\((?P<keys>[^)]*)\)(?P<rest>[^{\n]*)-Block \{"
    )
    for m in pattern.finditer(SCRIPT):
        end = _matching(CODE, m.end() - 1)
        keys = re.findall(r"'(\w+)'", m.group("keys"))
        sections.append(
            {"name": m.group("name"), "target": m.group("target"), "keys": keys,
             "span": (m.start(), end + 1), "body": SCRIPT[m.end() : end]}
        )
    return sections


SECTIONS = _sections(CODE)
SCHEMA = json.loads((SCHEMAS_DIR / "facts.schema.json").read_text(encoding="utf-8"))


def _schema_names(node: object, defs: dict, seen: set[str] | None = None) -> set[str]:
    """Every property name reachable from a schema node (following $refs)."""
    seen = set() if seen is None else seen
    names: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
            seen.add(ref)
            names |= _schema_names(defs[ref.split("/")[-1]], defs, seen)
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            if isinstance(value, (dict, list)):
                names |= _schema_names(value, defs, seen)
    elif isinstance(node, list):
        for item in node:
            names |= _schema_names(item, defs, seen)
    return names


def test_marker_and_version() -> None:
    assert SCRIPT.splitlines()[0] == COLLECTOR_MARKER
    assert re.search(rf"^\$CollectorVersion = '{COLLECTOR_VERSION}'$", SCRIPT, re.M)
    assert "\r" not in SCRIPT


def test_the_collector_parses_as_powershell() -> None:
    assert powershell_errors(SCRIPT) == []
    # and the composed text each worker runspace runs (helpers + one section block) parses too
    start = CODE.index("$Helpers = {") + len("$Helpers = ")
    helpers = SCRIPT[start + 1 : _matching(CODE, start)]
    for s in SECTIONS:
        composed = "$ErrorActionPreference = 'Stop'\n" + helpers + "\ntry { $Box.value = & {" + s["body"] + "\n} } catch { }\n"
        assert powershell_errors(composed) == [], s["name"]


def test_braces_and_parens_balance() -> None:
    for open_, close in ("{}", "()", "[]"):
        depth = 0
        for ch in CODE:
            depth += (ch == open_) - (ch == close)
            assert depth >= 0, f"unbalanced {open_}{close}"
        assert depth == 0, f"unbalanced {open_}{close}"


# PowerShell 5.0+ / 7 constructs that do not run on Windows Server 2012 R2 (PowerShell 4.0).
DENIED = {
    r"\?\?": "null-coalescing ?? (PS7)",
    r"\?\.": "null-conditional ?. (PS7)",
    r"(?<![\w$])\?(?=\s)": "ternary ?: or the ? alias",
    r"&&|\|\|": "pipeline chain operators (PS7)",
    r"::new\(": "::new() (PS5)",
    r"^\s*class\s": "classes (PS5)",
    r"^\s*enum\s": "enums (PS5)",
    r"^\s*using\s": "using statements (PS5)",
    r"-AsHashtable": "ConvertFrom-Json -AsHashtable (PS6)",
    r"-Parallel": "ForEach-Object -Parallel (PS7)",
    r"-EnumsAsStrings|-AsArray": "ConvertTo-Json PS7 parameters",
    r"-NoNewline": "-NoNewline (PS5)",
    r"-StartupType|-StartType": "Get-Service StartType (PS5)",
    r"\bGet-ItemPropertyValue\b": "Get-ItemPropertyValue (PS5)",
    r"\bGet-ComputerInfo\b": "Get-ComputerInfo (PS5.1)",
    r"\bWrite-Information\b": "Write-Information (PS5)",
    r"\bTest-Json\b|\bJoin-String\b|\bGet-Error\b": "PS6/7 cmdlets",
    r"\$PSStyle|\$IsWindows": "PS7 automatic variables",
    r"\bConvertFrom-Json\b": "not needed; Windows PowerShell's parser differs",
}


@pytest.mark.parametrize("pattern", sorted(DENIED))
def test_no_powershell5_or_7_syntax(pattern: str) -> None:
    hits = [CODE.count("\n", 0, m.start()) + 1 for m in re.finditer(pattern, CODE, re.M)]
    assert not hits, f"{DENIED[pattern]} on line(s) {hits}"


READ_ONLY_VERBS = {"Get", "Select", "Where", "ForEach", "Test", "ConvertTo", "Import", "Split"}
SESSION_ONLY = {"Remove-TypeData", "New-Object"}  # change nothing on the node


def test_only_read_only_commands() -> None:
    own = set(_functions(CODE))
    used = set(re.findall(r"(?<![\w$.-])([A-Z][a-z]+-[A-Z][A-Za-z0-9]+)\b", CODE))
    bad = sorted(
        c for c in used
        if c not in own and c not in SESSION_ONLY and c.split("-")[0] not in READ_ONLY_VERBS
    )
    assert not bad, f"commands that are not read-only: {bad}"
    natives = set(re.findall(r"'(\w+\.exe)'", SCRIPT))
    assert natives == {"fltmc.exe", "fsutil.exe"}
    assert re.findall(r"'fsutil\.exe' -Arguments @\('8dot3name', 'query'", SCRIPT)
    assert re.findall(r"'fltmc\.exe' -Arguments @\('filters'\)", SCRIPT)


def test_invoke_section_is_try_catch_with_timing() -> None:
    start, end = _functions(CODE)["Invoke-Section"]
    body = CODE[start:end]
    assert re.search(r"\btry\s*\{", body) and re.search(r"\}\s*catch\s*\{", body)
    assert re.search(r"\}\s*finally\s*\{", body)
    catch = body[body.index("catch") : body.index("finally")]
    assert "Add-CollectorError" in catch and "ElapsedMilliseconds" in catch
    assert "$script:Timings[$Name]" in body[body.index("finally") :]
    assert "Invoke-Bounded" in body and "$TotalBudgetSec" in body


def test_sections_run_bounded_in_a_worker_runspace() -> None:
    """C1: the block runs in another runspace; on expiry it is told to stop, never waited for."""
    start, end = _functions(CODE)["Invoke-Bounded"]
    body = SCRIPT[start:end]
    assert "[runspacefactory]::CreateRunspace()" in body and "[powershell]::Create()" in body
    assert re.search(r"\.BeginInvoke\(\)", body)
    wait = re.search(r"if \(-not \$async\.AsyncWaitHandle\.WaitOne\(\$BudgetSec \* 1000\)\) \{(.*?)\n    \}", body, re.S)
    assert wait, "no bounded wait"
    expiry = wait.group(1)
    assert ".BeginStop(" in expiry and "$script:Worker = $null" in expiry and "throw" in expiry
    assert ".Stop()" not in expiry and "Dispose" not in expiry  # both can block on a hung provider
    assert re.search(r"^\s+\[int\] \$SectionBudgetSec = \d+,?$", SCRIPT, re.M)
    assert re.search(r"^\s+\[int\] \$TotalBudgetSec = \d+,?$", SCRIPT, re.M)


def test_wmi_probes_run_before_every_other_section() -> None:
    assert [s["name"] for s in SECTIONS[:3]] == ["wmi.cimv2", "wmi.mscluster", "wmi.virtualization"]


def test_sections_reading_cimv2_require_its_probe() -> None:
    for s in SECTIONS:
        if "-Namespace 'root/cimv2'" in s["body"] and not s["name"].startswith("wmi."):
            head = SCRIPT[s["span"][0] : s["span"][0] + 300].split("-Block")[0]
            assert "-Requires @('cimv2')" in head, s["name"]


# A section block runs in a worker runspace: the main script's variables do not exist there.
MAIN_ONLY = re.compile(r"\$(node|cluster|wmi)\b|\$script:(Work|Probes|NodeErrors|ClusterErrors|Timings|Worker|Clock)\b")


def test_section_blocks_use_only_what_the_worker_is_given() -> None:
    for s in SECTIONS:
        body = _strip(s["body"])
        assert not MAIN_ONLY.search(body), f"{s['name']} reads a main-runspace variable: {MAIN_ONLY.search(body).group(0)}"
    start = CODE.index("$Helpers = {") + len("$Helpers = ")
    helpers = SCRIPT[start : _matching(CODE, start) + 1]
    assert not MAIN_ONLY.search(_strip(helpers))
    for name in ("Invoke-WmiProbe", "Get-CimQuery", "Import-ClusterModule", "ConvertFrom-WindowsDate"):
        assert f"function {name} " in helpers


def test_cluster_sections_need_the_failoverclusters_module_and_say_which_feature() -> None:
    """C6: a node without RSAT-Clustering-PowerShell gets one clear reason per cluster section."""
    assert SCRIPT.count("add the RSAT-Clustering-PowerShell feature") >= 2
    for s in SECTIONS:
        uses = re.search(r"\bGet-Cluster\w*\b", s["body"])
        if uses:
            head = SCRIPT[s["span"][0] : s["span"][0] + 300].split("-Block")[0]
            assert "Import-ClusterModule" in s["body"] or "failover_clusters" in head, s["name"]


def test_possible_owners_come_from_one_pipeline() -> None:
    """C10: Get-ClusterOwnerNode once for every resource, never once per resource."""
    uses = re.findall(r"[^\n]*Get-ClusterOwnerNode[^\n]*", CODE)
    assert uses and all(re.search(r"\|\s*Get-ClusterOwnerNode\)", u) for u in uses), uses
    assert "-Resource" not in "".join(uses)


def test_every_collecting_command_runs_inside_a_section() -> None:
    """Outside function bodies and section blocks no command gathers anything."""
    spans = [s["span"] for s in SECTIONS] + list(_functions(CODE).values())
    outside = list(CODE)
    for start, end in spans:
        outside[start:end] = " " * (end - start)
    rest = "".join(outside)
    gathering = re.findall(r"\b(Get-\w+|Import-Module|Test-Path|\w+\.exe)\b", rest)
    assert not gathering, f"outside any section: {gathering}"
    # and every function that gathers is called only from sections (or other functions)
    assert len(SECTIONS) >= 30


def test_section_names_are_unique() -> None:
    names = [s["name"] for s in SECTIONS]
    assert len(names) == len(set(names))


def test_node_sections_cover_the_schema_node_exactly() -> None:
    fixed = {"name", "reachable", "collector_version", "collected_at", "errors", "timings"}
    head = re.search(r"^\$node = @\{(.*?)^\}", SCRIPT, re.M | re.S)
    assert head and set(re.findall(r"^\s+(\w+) = ", head.group(1), re.M)) == fixed
    from_sections = [k for s in SECTIONS if s["target"] == "node" for k in s["keys"]]
    assembled = re.findall(r"^\$node\['(\w+)'\] = ", SCRIPT, re.M)  # built from several sections (wmi probes)
    assert assembled == ["wmi"]
    keys = from_sections + assembled
    assert len(keys) == len(set(keys)), "a node key is set twice"
    added_by_scan = {"inventory_name"}  # the scanner adds it (scanner/collect/scan.py), not the collector
    assert set(keys) | fixed | added_by_scan == set(SCHEMA["$defs"]["node"]["properties"])


def test_cluster_sections_cover_the_schema_cluster_exactly() -> None:
    head = next(s for s in SECTIONS if s["name"] == "cluster")
    head_keys = set(re.findall(r"^\s+(\w+) = ", head["body"], re.M)) - {"cluster_head"}
    from_sections = {k for s in SECTIONS if s["target"] == "cluster" for k in s["keys"]}
    assert head_keys | from_sections | {"errors"} == set(SCHEMA["$defs"]["cluster"]["properties"])
    for s in SECTIONS:
        if s["target"] == "cluster":
            assert s["name"].startswith("cluster.")
            assert "-ErrorList $script:ClusterErrors" in SCRIPT[s["span"][0] : s["span"][0] + 200]


def test_each_section_sets_the_keys_it_declares() -> None:
    for s in SECTIONS:
        for key in s["keys"]:
            assert re.search(rf"(^|[{{;]|\s){key} = ", s["body"], re.M), f"{s['name']} never sets {key}"


def test_hashtable_keys_are_schema_property_names() -> None:
    """Every key the script emits is a property of the collector output (no typos, no extras)."""
    defs = SCHEMA["$defs"]
    allowed = _schema_names(defs["collector_output"], defs) | {
        # $script:Work scratch keys
        "cluster_head", "resource_by_volume", "csv_owner_by_path", "partition_fs_by_resource",
        "storage_by_path", "dedup_by_path", "modules", "vmms_present",
        # internal hashtables: the worker's result box, enum pairs, MSFT_Volume enrichment
        "value", "code", "names", "codes", "type",
    }
    keys = set(re.findall(r"(?:^\s+|@\{ ?|; )([a-z][a-z0-9_]*) = ", SCRIPT, re.M))
    assert keys, "no hashtable keys found"
    assert keys <= allowed, f"not in the facts schema: {sorted(keys - allowed)}"
    leaf_names = _schema_names(defs["node"], defs) | _schema_names(defs["cluster"], defs)
    missing = sorted(leaf_names - keys - {"name", "reachable", "errors", "timings"} - {
        "section", "message", "duration_ms",  # error entries, set by Add-CollectorError
        "ok", "error",  # probe entries, set in Invoke-WmiProbe
        "wmi",  # $node['wmi'], assembled from the probe sections
        "inventory_name",  # set by the scanner (scanner/collect/scan.py), not the collector
    })
    assert not missing, f"schema properties the collector never sets: {missing}"


def test_single_json_output_at_the_end() -> None:
    """One string: the JSON text, or with -CompressOutput the framing scanner/collect/wire.py reads."""
    lines = [line.strip() for line in CODE.splitlines() if line.strip()]
    tail = lines[lines.index("$json = ConvertTo-Json -InputObject $output -Depth 8 -Compress"):]
    assert tail == [
        "$json = ConvertTo-Json -InputObject $output -Depth 8 -Compress",
        "$text = $json",
        "if ($CompressOutput) {",
        "try {",
        "$bytes = [System.Text.Encoding]::UTF8.GetBytes($json)",
        "$buffer = New-Object System.IO.MemoryStream",
        "$gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $buffer, "
        "([System.IO.Compression.CompressionMode]::Compress)",
        "$gzip.Write($bytes, 0, $bytes.Length)",
        "$gzip.Close()",
        "$text = '" + "_" * len(PREFIX) + "' + [System.Convert]::ToBase64String($buffer.ToArray())",  # CODE blanks strings
        "} catch {",
        "$text = $json",  # a failure to compress sends the plain JSON, which the scanner reads too
        "}",
        "}",
        "$text",
    ]
    assert f"\n        $text = '{PREFIX}' + [System.Convert]::ToBase64String($buffer.ToArray())\n" in SCRIPT
    assert re.search(r"^param\([^)]*\[switch\] \$CompressOutput\s*\)", SCRIPT, re.M)
    depth = int(re.search(r"-Depth (\d+)", tail[0]).group(1))
    # collector_output > node > volumes > [item] > dedup > value is 5 levels of containers
    assert depth >= 6
    assert re.search(
        r"^\$output = @\{ collector_version = \$CollectorVersion; node = \$node; cluster = \$cluster \}$",
        SCRIPT, re.M,
    )
    # nothing else writes to the output stream
    assert not re.search(r"\b(Write-Output|Write-Host|Out-Host|Out-Default)\b", CODE)


def test_cluster_wmi_queries_carry_a_timeout() -> None:
    assert re.search(r"^param\(\s*\[int\] \$WmiTimeoutSec = \d+,", SCRIPT, re.M)
    for m in re.finditer(r"Get-CimInstance[^\n]*|Get-CimAssociatedInstance[^\n]*", CODE):
        assert "-OperationTimeoutSec $WmiTimeoutSec" in m.group(0), m.group(0)
    assert "Get-WmiObject" not in CODE  # no timeout parameter there


def test_script_is_shipped_as_package_data() -> None:
    path = Path(__import__("scanner.collect", fromlist=["x"]).__file__).with_name("collector.ps1")
    assert path.read_text(encoding="utf-8") == SCRIPT
