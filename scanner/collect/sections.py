"""The collector's sections as data, read from collector.ps1 itself.

The lab simulates the collector (which sections exist, in which order, what each one sets, which
probe it needs, its time budget) from this table, so the two cannot drift apart: a section added to
the script is a section the lab knows.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from scanner.collect import collector_script

_CALL = re.compile(
    r"^\s*Invoke-Section -Name '(?P<name>[\w.]+)' -Target \$(?P<target>[\w:]+) -Keys @\((?P<keys>[^)]*)\)"
    r"(?P<rest>[^{\n]*)-Block \{",
    re.M,
)
_PARAM = re.compile(r"^\s+\[int\] \$(?P<name>\w+) = (?P<value>\d+),?$", re.M)
_TARGETS = {"node": "node", "cluster": "cluster", "wmi": "wmi", "script:Work": "work", "work": "work"}


@dataclass(frozen=True)
class Section:
    name: str
    target: str  # node | cluster | wmi (a probe) | work (read by later sections only)
    keys: tuple[str, ...]
    requires: tuple[str, ...]  # probes: cimv2, mscluster, failover_clusters
    budget: str  # "default", "wmi+N" or a number of seconds

    def budget_s(self, params: CollectorParams) -> int:
        if self.budget == "default":
            return params.section_budget_s
        if self.budget.startswith("wmi+"):
            return params.wmi_timeout_s + int(self.budget[4:])
        return int(self.budget)


@dataclass(frozen=True)
class CollectorParams:
    """The script's parameters (winrm.py may send some; the rest keep the script's defaults)."""

    wmi_timeout_s: int
    section_budget_s: int
    total_budget_s: int
    event_window_days: int
    compress_output: bool = False  # the -CompressOutput switch (scanner/collect/wire.py)

    def with_parameters(self, sent: dict[str, object]) -> CollectorParams:
        def pick(name: str, current: int) -> int:
            value = next((v for k, v in sent.items() if k.lower() == name.lower()), None)
            try:
                return int(str(value)) if value is not None else current
            except ValueError:
                return current

        return CollectorParams(
            pick("WmiTimeoutSec", self.wmi_timeout_s),
            pick("SectionBudgetSec", self.section_budget_s),
            pick("TotalBudgetSec", self.total_budget_s),
            pick("EventWindowDays", self.event_window_days),
            next((v is True for k, v in sent.items() if k.lower() == "compressoutput"), self.compress_output),
        )


@functools.lru_cache(maxsize=1)
def sections() -> tuple[Section, ...]:
    """Every Invoke-Section call of the shipped collector, in the order the script runs them."""
    out = []
    for m in _CALL.finditer(collector_script()):
        rest = m.group("rest")
        requires = tuple(re.findall(r"'(\w+)'", r.group(1))) if (r := re.search(r"-Requires @\(([^)]*)\)", rest)) else ()
        budget = "default"
        if b := re.search(r"-BudgetSec \(\$WmiTimeoutSec \+ (\d+)\)", rest):
            budget = f"wmi+{b.group(1)}"
        elif b := re.search(r"-BudgetSec (\d+)", rest):
            budget = b.group(1)
        out.append(Section(m.group("name"), _TARGETS[m.group("target")], tuple(re.findall(r"'(\w+)'", m.group("keys"))),
                           requires, budget))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def default_params() -> CollectorParams:
    values = {m.group("name"): int(m.group("value")) for m in _PARAM.finditer(collector_script())}
    return CollectorParams(values["WmiTimeoutSec"], values["SectionBudgetSec"], values["TotalBudgetSec"],
                           values["EventWindowDays"])


def section_named(name: str) -> Section | None:
    return next((s for s in sections() if s.name == name), None)


def resolve_section(name: str) -> Section:
    """A scenario's section name: a collector section, `wmi` (the root\\MSCluster probe), `cluster`,
    or a node fact (the section that collects it). KeyError when none."""
    if name == "wmi":
        name = "wmi.mscluster"
    found = section_named(name)
    if found is not None:
        return found
    for section in sections():
        if section.target == "node" and name in section.keys:
            return section
    raise KeyError(name)
