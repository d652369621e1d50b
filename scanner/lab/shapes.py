"""Scenario facts in the shapes Windows and collector.ps1 really produce (docs/reality.md).

A scenario says what a node *is*; this module says how it *answers*:

* `windows.inbox_devices` adds the hundreds of Microsoft in-box devices and Windows' own minifilters
  (WdFilter at 328010 wherever Defender runs) to the node's vendor entries (`scanner/lab/inbox.py`).
* Volumes: a CSV reports `CSVFS` (a scenario writing ReFS/NTFS on a CSV is refused);
  `file_system_type_code` (MSFT_Volume.FileSystemType, 2016+) and `health_code` become the names the
  collector maps them to, with the real file system under a CSV; 2012 R2 has no FileSystemType.
* Hotfix dates: `Win32_QuickFixEngineering.InstalledOn` is free-form text in the node's
  `windows.date_format`; `installed_on` is what the collector parses from it (or null).
* The cluster view depends on the node that reads it: a 2012 R2 node cannot see ClusterFunctionalLevel,
  ClusterUpgradeVersion, S2DEnabled or node StatusInformation (the collector derives level 8 and no S2D).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scanner.facts.outputs import worst_csv_row
from scanner.lab import inbox
from scanner.windates import parse_windows_date

FILE_SYSTEM_TYPES = {14: "NTFS", 15: "ReFS", 32768: "CSVFS_NTFS", 32769: "CSVFS_ReFS"}  # MSFT_Volume [D9]
UNDERLYING = {14: "NTFS", 15: "ReFS", 32768: "NTFS", 32769: "ReFS"}
HEALTH = {0: "Healthy", 1: "Warning", 2: "Unhealthy", 5: "Unknown"}
DATE_FORMATS = ("M/d/yyyy", "MM/dd/yyyy", "d/M/yyyy", "dd/MM/yyyy", "dd.MM.yyyy", "d.M.yyyy", "yyyyMMdd", "yyyy-MM-dd")
RELATIVE_DATE = re.compile(r"^@now(?:-(\d+)d)?$")  # "@now", "@now-10d": dates that stay recent


@dataclass(frozen=True)
class WindowsShape:
    """How one node's Windows answers (scenario `windows:`, node-level merged over the top level)."""

    inbox_devices: str | None = None  # "standard" (the node's release) or "standard-<release>"
    cpus: int = 48
    luns: int = 24
    paths: int = 2
    date_format: str = "M/d/yyyy"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> WindowsShape:
        return cls(**raw)

    @property
    def day_first(self) -> bool:
        return self.date_format.lower().startswith("d")


def shape_node_facts(facts: dict[str, Any], shape: WindowsShape) -> tuple[dict[str, Any], list[str]]:
    """Node facts as collected (load time): in-box devices and filters, volume enums. Also the
    problems that make a scenario unlike any real node (each one line, naming the field)."""
    out = copy.deepcopy(facts)
    release = (out.get("os") or {}).get("release")
    odd_altitudes = _altitude_problems(out["filters"]) if isinstance(out.get("filters"), list) else []
    problems = list(odd_altitudes)
    if shape.inbox_devices:
        wanted = shape.inbox_devices.removeprefix("standard").lstrip("-") or release
        if wanted not in inbox.RELEASES:
            problems.append(f"windows.inbox_devices {shape.inbox_devices!r}: no OS release to generate for "
                            f"(set os.release or use standard-<{'|'.join(inbox.RELEASES)}>)")
        else:
            features = out.get("features") if isinstance(out.get("features"), list) else []
            if isinstance(out.get("drivers"), list):
                volumes = len(out.get("volumes") or []) + 1
                out["drivers"] = out["drivers"] + inbox.inbox_devices(
                    wanted, features, cpus=shape.cpus, luns=shape.luns, paths=shape.paths, volumes=volumes)
            if isinstance(out.get("filters"), list) and not odd_altitudes:
                defender = out.get("defender") or {}
                running = bool(defender.get("present")) and defender.get("am_running_mode") not in (None, "Not running")
                own = {f["name"].lower() for f in out["filters"]}
                generated = [f for f in inbox.inbox_filters(wanted, features, running) if f["name"].lower() not in own]
                out["filters"] = sorted(out["filters"] + generated, key=lambda f: -float(f.get("altitude") or 0))
    for i, volume in enumerate(out.get("volumes") or []):
        problems += _shape_volume(volume, release, i)
    return out, problems + _date_problems(out.get("hotfixes"))


def _altitude_problems(filters: list[dict[str, Any]]) -> list[str]:
    """fltmc and FilterManager give every minifilter a number as its altitude (e.g. 328010, 385201.5)."""
    problems = []
    for i, entry in enumerate(filters):
        try:
            float(entry.get("altitude") or 0)
        except ValueError:
            problems.append(f"filters[{i}].altitude {entry['altitude']!r}: a minifilter's altitude is a number "
                            "(e.g. '328010')")
    return problems


def _date_problems(hotfixes: Any) -> list[str]:
    """An installed_on the lab turns into the node's InstalledOn text when it answers: a date, or @now[-Nd]."""
    problems = []
    for i, fix in enumerate(hotfixes if isinstance(hotfixes, list) else []):
        value = fix.get("installed_on")
        if fix.get("installed_on_raw") is None and isinstance(value, str) and not RELATIVE_DATE.match(value):
            try:
                _iso_day(value)
            except ValueError:
                problems.append(f"hotfixes[{i}].installed_on {value!r}: write a date (2026-11-30, or with a time) or "
                                "@now / @now-<days>d (or give the node's own text in installed_on_raw)")
    return problems


def _iso_day(text: str) -> date:
    """The day of a scenario's ISO date or date-time (a trailing Z allowed); ValueError otherwise."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _shape_volume(volume: dict[str, Any], release: str | None, index: int) -> list[str]:
    where = f"volumes[{index}] ({volume.get('path')})"
    if volume.get("csv") and volume.get("file_system") != "CSVFS":
        return [f"{where}: a CSV reports file_system CSVFS, never {volume.get('file_system')!r}; put the real file "
                f"system in file_system_type_code (32768 NTFS, 32769 ReFS) or underlying_file_system"]
    code = volume.get("file_system_type_code")
    if release == "2012R2":
        if code is not None or volume.get("file_system_type") is not None:
            return [f"{where}: MSFT_Volume.FileSystemType does not exist on 2012 R2 (leave file_system_type(_code) out)"]
    elif code is not None:
        volume.setdefault("file_system_type", FILE_SYSTEM_TYPES.get(code, str(code)))
        volume.setdefault("underlying_file_system", UNDERLYING.get(code))
    if volume.get("underlying_file_system") is None and volume.get("file_system") not in (None, "CSVFS"):
        volume["underlying_file_system"] = volume["file_system"]
    health = volume.get("health_code")
    if health is not None:
        volume.setdefault("health", HEALTH.get(health, str(health)))
    return []


def format_date(day: date, pattern: str) -> str:
    """`day` in a .NET short-date pattern of DATE_FORMATS."""
    out = pattern
    for token, value in (("yyyy", f"{day.year:04d}"), ("MM", f"{day.month:02d}"), ("dd", f"{day.day:02d}")):
        out = out.replace(token, value)
    out = re.sub(r"(?<![Md])M(?!M)", str(day.month), out)
    return re.sub(r"(?<![d])d(?!d)", str(day.day), out)


def shape_hotfixes(hotfixes: list[dict[str, Any]], shape: WindowsShape, today: date) -> list[dict[str, Any]]:
    """InstalledOn as the node's text, and the date the collector reads from it (answer time)."""
    out = []
    for fix in hotfixes:
        fix = dict(fix)
        raw = fix.get("installed_on_raw")
        if raw is None and isinstance(fix.get("installed_on"), str):
            day = _iso_day(fix["installed_on"])
            raw = format_date(day, shape.date_format)
        fix["installed_on_raw"] = raw
        parsed = parse_windows_date(raw, today=today, day_first=shape.day_first) if raw else None
        fix["installed_on"] = parsed.isoformat() if parsed else None
        out.append(fix)
    return out


def cluster_view(cluster: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The cluster as `node` reads it: what its OS release can see, its own volumes under the CSVs."""
    view = copy.deepcopy(cluster)
    release = (node.get("os") or {}).get("release")
    if release == "2012R2":
        view["functional_level"] = 8
        view["upgrade_version"] = None
        view["s2d_enabled"] = False
        for member in view.get("nodes") or []:
            if "status_information" in member or "status_code" in member:
                member["status_information"] = None
                member["status_code"] = None
    by_path = {(v.get("path") or "").lower(): v for v in node.get("volumes") or []}
    for csv in view.get("csvs") or []:
        local = by_path.get((csv.get("path") or "").lower())
        if local is not None and "underlying_file_system" not in csv:
            csv["underlying_file_system"] = local.get("underlying_file_system")
        states = csv.get("states")
        if states:
            worst = worst_csv_row(states)
            csv["state_info"] = worst.get("state_info")
            csv["redirected_reason"] = worst.get("redirected_reason")
            csv["block_redirected_reason"] = worst.get("block_redirected_reason")
    return view
