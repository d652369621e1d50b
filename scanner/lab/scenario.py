"""Lab scenarios: a simulated cluster, each node's facts and faults, loaded from YAML and checked."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from scanner.collect.sections import resolve_section
from scanner.errors import InputError, Problem
from scanner.lab.shapes import WindowsShape, shape_node_facts
from scanner.reading import read_input_text
from scanner.schemas import validator
from scanner.yamlmarks import Located, load_located

MAX_SCENARIO_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Faults:
    """What goes wrong on one node; every field is one flag in the scenario file."""

    latency_ms: int = 0
    refuse: bool = False
    auth_fail: bool = False
    drop_mid_receive: bool = False
    slow_ms: int = 0
    malformed: str | None = None  # "xml" | "clixml"
    section_errors: Mapping[str, str] = field(default_factory=dict)
    hang_sections: tuple[str, ...] = ()
    missing_modules: tuple[str, ...] = ()  # e.g. FailoverClusters: the node lacks RSAT-Clustering-PowerShell
    never_answer: bool = False
    trickle_ms: int = 0
    stall_mid_receive: bool = False

    @property
    def failure_section(self) -> str:
        """The error section a scan reports for transport_failure (contracts §2)."""
        return "timeout" if self.never_answer or self.trickle_ms or self.stall_mid_receive else "connection"

    @property
    def transport_failure(self) -> str | None:
        """Why a scan cannot get this node's output at all (None when it can)."""
        if self.refuse:
            return "connection refused"
        if self.auth_fail:
            return "authentication failed (HTTP 401)"
        if self.drop_mid_receive:
            return "connection closed while receiving the collector output"
        if self.slow_ms:
            return f"no response within the read timeout (lab holds it {self.slow_ms} ms)"
        if self.malformed == "xml":
            return "malformed WS-Management response (invalid XML)"
        if self.malformed == "clixml":
            return "malformed PSRP output (invalid CLIXML)"
        if self.never_answer or self.trickle_ms or self.stall_mid_receive:
            return "no complete answer within the node deadline"
        return None


@dataclass(frozen=True)
class Expected:
    """What scanning the scenario must give. `reason` is one line citing the source of the story or
    shape; `hazards` are rules that must fail (or stay undecided), `info` rules whose finding must be
    reported as evidence (the scenario corpus test, tests/collect/test_corpus.py)."""

    phase: str
    target_os: str
    verdict: str
    source_os: str | None = None
    reason: str | None = None
    hazards: tuple[str, ...] = ()
    info: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeSpec:
    name: str
    facts: dict[str, Any]  # complete node facts (defaults merged, Windows shapes applied), before faults
    faults: Faults
    windows: WindowsShape = field(default_factory=WindowsShape)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: str | None
    expected: Expected | None
    cluster: dict[str, Any]
    nodes: tuple[NodeSpec, ...]

    def node(self, name: str) -> NodeSpec:
        for spec in self.nodes:
            if spec.name.lower() == name.lower():
                return spec
        raise KeyError(name)


def _expected(raw: dict[str, Any]) -> Expected:
    lists = {key: tuple(raw.get(key) or ()) for key in ("hazards", "info")}
    return Expected(**{**raw, **lists})


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate (schema, then merged node facts) and build a scenario; InputError with file:line."""
    file = str(path)
    return parse_scenario(read_input_text(path, MAX_SCENARIO_BYTES, what="scenario", encoding="utf-8-sig"), file)


def parse_scenario(text: str, file: str) -> Scenario:
    lines = load_located(text, file)
    data = lines.data
    _raise_problems(validator("scenario.schema.json").iter_errors(data), lines, file, prefix=())
    node_validator = validator("facts.schema.json", "node")
    defaults = data.get("node_defaults") or {}
    specs = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, entry in enumerate(data["nodes"]):
        name = entry["name"]
        if name.lower() in seen:
            problems.append(Problem(f"duplicate node name {name!r}", file=file, line=lines.mark(("nodes", i, "name"))[0]))
        seen.add(name.lower())
        facts = deep_merge(defaults, entry.get("facts") or {})
        facts.update(name=name, reachable=True)
        facts.setdefault("errors", [])
        windows = WindowsShape.from_mapping(deep_merge(data.get("windows") or {}, entry.get("windows") or {}))
        # Shaping reads the facts' fields, so it runs on valid facts only; the shaped facts are checked again.
        invalid = [_node_problem(e, i, lines, file, name) for e in _sorted(node_validator.iter_errors(facts))]
        if invalid:
            problems.extend(invalid)
        else:
            facts, unreal = shape_node_facts(facts, windows)
            line = lines.mark(("nodes", i, "name"))[0]
            problems.extend(Problem(message, file=file, line=line, node=name) for message in unreal)
            problems.extend(_node_problem(e, i, lines, file, name) for e in _sorted(node_validator.iter_errors(facts)))
        faults = entry.get("faults") or {}
        for section in [*(faults.get("section_errors") or {}), *_listed(faults.get("hang_section"))]:
            try:
                resolve_section(section)
            except KeyError:
                problems.append(Problem(f"faults: {section!r} is not a collector section or node fact", file=file,
                                        line=lines.mark(("nodes", i, "faults"))[0], node=name))
        specs.append(NodeSpec(name, facts, _faults(faults), windows))
    if problems:
        raise InputError(problems)
    expected = data.get("expected")
    return Scenario(
        name=data["name"],
        description=data.get("description", ""),
        path=file,
        expected=_expected(expected) if expected else None,
        cluster=copy.deepcopy(data["cluster"]),
        nodes=tuple(specs),
    )


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) in `over` replaces `base`."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _listed(value: str | list[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _faults(raw: Mapping[str, Any]) -> Faults:
    return Faults(
        latency_ms=raw.get("latency_ms", 0),
        refuse=raw.get("refuse", False),
        auth_fail=raw.get("auth_fail", False),
        drop_mid_receive=raw.get("drop_mid_receive", False),
        slow_ms=raw.get("slow_ms", 0),
        malformed=raw.get("malformed"),
        section_errors=dict(raw.get("section_errors") or {}),
        hang_sections=_listed(raw.get("hang_section")),
        missing_modules=tuple(raw.get("missing_modules") or ()),
        never_answer=raw.get("never_answer", False),
        trickle_ms=raw.get("trickle_ms", 0),
        stall_mid_receive=raw.get("stall_mid_receive", False),
    )


def _sorted(errors: Any) -> list[jsonschema.ValidationError]:
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def _raise_problems(errors: Any, lines: Located, file: str, prefix: tuple[Any, ...]) -> None:
    problems = [
        Problem(_short(e.message), file=file, line=lines.mark((*prefix, *e.absolute_path))[0], pointer=_pointer(e.absolute_path))
        for e in _sorted(errors)
    ]
    if problems:
        raise InputError(problems)


def _node_problem(err: jsonschema.ValidationError, index: int, lines: Located, file: str, name: str) -> Problem:
    """Locate an error in merged facts: where the offending value was written, the node's own facts first."""
    rel = list(err.absolute_path)
    own = ("nodes", index, "facts", *rel)
    shared = ("node_defaults", *rel)
    line = lines.mark(shared if lines.depth(shared) > lines.depth(own) - 2 else own)[0]
    return Problem(_short(err.message), file=file, line=line, pointer=_pointer(["nodes", index, "facts", *rel]), node=name)


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."
