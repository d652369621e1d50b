"""Windows version strings: parsing, comparing, and which Server release a build is."""
from __future__ import annotations

import functools
import re
from typing import Any

_VERSION_RE = re.compile(r"^\s*v?(\d+(?:\.\d+){0,4})")

# Build numbers per Windows Server release (domain.md §3: OS builds).
RELEASE_BUILDS: dict[str, int] = {"2012R2": 9600, "2016": 14393, "2019": 17763, "2022": 20348, "2025": 26100}
RELEASES: tuple[str, ...] = tuple(RELEASE_BUILDS)


def parse_version(value: Any) -> tuple[int, ...] | None:
    """'10.0.14393.2248' -> (10, 0, 14393, 2248); None when it is not a version."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return (value,)
    if not isinstance(value, str):
        return None
    return _parse_text(value)


@functools.lru_cache(maxsize=65536)
def _parse_text(value: str) -> tuple[int, ...] | None:
    """Cached: a scan compares the same few driver and OS versions many thousands of times."""
    m = _VERSION_RE.match(value)
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


def compare_versions(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Compare with missing trailing parts read as 0, so 6.3 == 6.3.0."""
    width = max(len(a), len(b))
    pa = a + (0,) * (width - len(a))
    pb = b + (0,) * (width - len(b))
    return (pa > pb) - (pa < pb)


def release_of(version: Any) -> str | None:
    """'10.0.17763' -> '2019'. Only Server releases that can take part in a rolling upgrade."""
    parts = parse_version(version)
    if not parts or len(parts) < 3:
        return None
    return release_of_build(parts[2])


def release_of_build(build: Any) -> str | None:
    """17763 -> '2019' (a build number as Get-ClusterNode reports it)."""
    return next((release for release, number in RELEASE_BUILDS.items() if number == build), None)
