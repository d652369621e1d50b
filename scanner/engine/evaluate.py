"""(rules, facts, parameters, catalogs) -> findings. Pure: no I/O, no clock (the time is an input)."""
from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from scanner.engine.catalogs import Catalog
from scanner.engine.condition import FALSE, TRUE, UNKNOWN, Context, EvalError, Tri
from scanner.engine.loader import Rule, RulePack
from scanner.engine.messages import environment, render
from scanner.engine.scopes import SCOPES, Subject
from scanner.facts import FactsView
from scanner.model import Finding, Status


def applicable(rule: Rule, phase: str) -> bool:
    return phase in rule.phases


def evaluate_pack(pack: RulePack, view: FactsView, params: dict[str, Any], catalogs: dict[str, Catalog],
                  now: datetime) -> list[Finding]:
    """One finding per rule x subject, for the rules of the scan's phase and upgrade path.

    The cyclic garbage collector is paused meanwhile: the engine allocates hundreds of thousands of
    small acyclic objects that stay alive, and repeated collections of them cost more than the rules."""
    with paused_gc():
        return _evaluate_pack(pack, view, params, catalogs, now)


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _evaluate_pack(pack: RulePack, view: FactsView, params: dict[str, Any], catalogs: dict[str, Catalog],
                   now: datetime) -> list[Finding]:
    phase = params["phase"]
    base = {"scan": view.scan, "cluster": view.cluster, "nodes": view.nodes, "params": params}
    subjects_by_scope: dict[str, list[Subject]] = {}
    findings: list[Finding] = []
    for rule in pack.rules:
        if not applicable(rule, phase):
            continue
        if not rule.applies_to_target(params.get("target_os")):
            continue
        if rule.scope not in subjects_by_scope:
            subjects_by_scope[rule.scope] = SCOPES[rule.scope](view)
        run = rule_runner(rule, base, catalogs, now)
        findings.extend(run(subject) for subject in subjects_by_scope[rule.scope])
    return findings


def rule_runner(rule: Rule, base: dict[str, Any], catalogs: dict[str, Catalog],
                now: datetime) -> Callable[[Subject], Finding]:
    """Everything about a rule that does not depend on the subject, worked out once."""
    when = rule.when.evaluate if rule.when is not None else None
    check = rule.check.evaluate if rule.check is not None else None
    manual = rule.kind == "attestation"
    no_target = rule.path_specific and base["params"].get("target_os") is None
    blocking = rule.blocking

    def status_of(ctx: Context) -> Status:
        if when is not None:
            applies = when(ctx)
            if applies == FALSE:
                return "not_applicable"
            if applies == UNKNOWN:
                return "unknown"
        if manual or check is None:
            return "manual"
        return _STATUS_OF[check(ctx)]

    def run(subject: Subject) -> Finding:
        values = {**base, **subject.values}
        ctx = Context(values, catalogs, now)
        status: Status
        detail: str | None = None
        catalog: str | None = None
        if subject.missing is not None:
            status, detail = "unknown", subject.missing
        elif no_target:
            status, detail = "unknown", "this rule depends on the target OS, which was not given (--target-os)"
        else:
            try:
                status = status_of(ctx)
            except EvalError as exc:
                status, detail, catalog = "error", str(exc), exc.catalog
            except RecursionError:
                status, detail = "error", "condition nested too deeply"
            if status == "unknown" and detail is None:
                missing = [e.fact for e in ctx.evidence if e.result == UNKNOWN]
                detail = "not collected: " + ", ".join(dict.fromkeys(missing)) if missing else "facts missing"
        if catalog is None and ctx.catalogs_used:
            catalog = ", ".join(sorted(ctx.catalogs_used))
        message = ""
        if status == "unknown" or status == "error":
            message = f"Could not be checked: {detail}."
        elif status == "fail" or status == "manual":
            values.update(evidence=ctx.evidence, offenders=ctx.offenders, subject=subject.id, status=status)
            message, problem = render(rule.message, values)
            if problem:
                detail = problem
        # Positional, in field order (scanner/model.py): keyword construction cost a tenth of a large run.
        return Finding(rule.id, rule.title, rule.severity, status, rule.scope, subject.id, rule.area,
                       subject.node, message, rule.remediation, rule.references, tuple(ctx.evidence), blocking,
                       catalog, None, None, detail)

    return run


_STATUS_OF: dict[Tri, Status] = {TRUE: "pass", FALSE: "fail", UNKNOWN: "unknown"}


__all__ = ["evaluate_pack", "environment"]
