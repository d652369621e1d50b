"""The typed options of a scan run: what the CLI, the unattended runner and the tests hand the pipeline.

Each group is a frozen dataclass with defaults that mean "as shipped", so a caller names only what
it changes. Other areas add their fields here (deadlines, provenance), not new parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a ScanOptions is made: rule commands need none of the collection side
    from scanner.collect.deadline import Deadlines
    from scanner.collect.progress import DisplayFactory
    from scanner.collect.scan import CollectOptions, ScanMeta
    from scanner.credentials import CredentialResolver
    from scanner.report.signing import SigningKey


def _meta() -> ScanMeta:
    from scanner.collect.scan import ScanMeta

    return ScanMeta()


def _parallel() -> int:
    from scanner.collect.scan import DEFAULT_PARALLEL

    return DEFAULT_PARALLEL


def _deadlines() -> Deadlines:
    from scanner.collect.deadline import Deadlines

    return Deadlines()


@dataclass(frozen=True)
class RuleOptions:
    """Which rules, catalogs and exceptions a run evaluates."""

    rules: tuple[str, ...] | None = None  # rule files or folders; None: the shipped rules/
    catalogs: tuple[str, ...] = ()  # extra catalog folders layered over rules/data
    tags: tuple[str, ...] = ()  # only rules carrying one of these (narrows the run: never a plain GO)
    skip_tags: tuple[str, ...] = ()
    waivers: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportOptions:
    """Which report files a scan writes next to its facts and findings."""

    html: bool = True
    pdf: bool = True
    pdfa: bool = True  # PDF/A-3b with the evidence attached; False: plain PDF
    sign: SigningKey | None = None  # sign the PDF (PAdES) with this PKCS#12 key


@dataclass(frozen=True)
class ScanOptions:
    """One scan: what its facts record, the rules it is judged by, its reports, its node budget."""

    meta: ScanMeta = field(default_factory=_meta)
    rules: RuleOptions = field(default_factory=RuleOptions)
    reports: ReportOptions = field(default_factory=ReportOptions)
    parallel: int = field(default_factory=_parallel)  # nodes collected at once (for a fleet: across all its clusters)
    display: DisplayFactory | None = None  # the progress display the CLI shows (scanner/cli/progress.py); None: none
    deadlines: Deadlines = field(default_factory=_deadlines)  # per node and per scan (scanner/collect/deadline.py)

    def collection(self, resolver: CredentialResolver | None = None) -> CollectOptions:
        """How this scan collects its nodes (scanner/collect/scan.py), with resolver's credentials
        (default: the environment, the keyring and prompts as the inventory says)."""
        from scanner.collect.scan import CollectOptions
        from scanner.credentials import CredentialResolver

        return CollectOptions(resolver=resolver or CredentialResolver(), parallel=self.parallel,
                              display=self.display, deadlines=self.deadlines)
