"""(rules, facts, parameters, catalogs) -> findings. Pure: no I/O, no clock (the time is an input)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from scanner.engine.catalogs import Catalog
from scanner.engine.condition import FALSE, TRUE, UNKNOWN, Context, EvalError, Tri
from scanner.engine.loader import Rule, RulePack
from scanner.engine.messages import environment, render
from scanner.engine.scopes import SCOPES, Subject
from scanner.engine.verdict import SEVERITY_TABLE
from scanner.facts.view import FactsView
from scanner.gcpause import paused_gc
from scanner.model import Evidence, Finding, Status


def applicable(rule: Rule, phase: str) -> bool:
    return phase in rule.phases


def evaluate_pack(pack: RulePack, view: FactsView, params: dict[str, Any], catalogs: dict[str, Catalog],
                  now: datetime) -> list[Finding]:
    """One finding per rule x subject, for the rules of the scan's phase and upgrade path.

    The cyclic garbage collector is paused meanwhile: the engine allocates hundreds of thousands of
    small acyclic objects that stay alive, and repeated collections of them cost more than the rules."""
    with paused_gc(freeze_after=True):
        return _evaluate_pack(pack, view, params, catalogs, now)


def _evaluate_pack(pack: RulePack, view: FactsView, params: dict[str, Any], catalogs: dict[str, Catalog],
                   now: datetime) -> list[Finding]:
    phase = params["phase"]
    base = {"scan": view.scan, "cluster": view.cluster, "nodes": view.nodes, "params": params}
    # Per scope, once: its subjects, each with the names its rules read (never changed by a rule).
    scoped: dict[str, list[tuple[Subject, dict[str, Any]]]] = {}
    findings: list[Finding] = []
    for rule in pack.rules:
        if not applicable(rule, phase):
            continue
        if not rule.applies_to_target(params.get("target_os")):
            continue
        if rule.scope not in scoped:
            scoped[rule.scope] = [(s, {**base, **s.values}) for s in SCOPES[rule.scope](view)]
        findings.extend(rule_runner(rule, params, catalogs, now)(scoped[rule.scope]))
    return findings


def rule_runner(rule: Rule, params: dict[str, Any], catalogs: dict[str, Catalog],
                now: datetime) -> Callable[[list[tuple[Subject, dict[str, Any]]]], list[Finding]]:
    """Everything about a rule that does not depend on the subject, worked out once; the runner
    takes the scope's subjects with their names and gives one finding each."""
    when = rule.when.evaluate if rule.when is not None else None
    check = rule.check.evaluate if rule.check is not None else None
    manual = rule.kind == "attestation"
    no_target = rule.path_specific and params.get("target_os") is None
    plain = when is None and check is not None and not manual and not no_target  # most rules
    blocking = rule.blocking
    evidence_only = not SEVERITY_TABLE[rule.severity].counts  # a false check is `info`, never `fail`
    rule_id, title, severity, scope, area = rule.id, rule.title, rule.severity, rule.scope, rule.area
    remediation, references = rule.remediation, rule.references

    def outcome(subject: Subject, ctx: Context) -> tuple[Status, str | None, str | None]:
        """Status, detail and deciding catalog for a subject when the rule is not a plain check."""
        if subject.missing is not None:
            return "unknown", subject.missing, None
        if no_target:
            return "unknown", "this rule depends on the target OS, which was not given (--target-os)", None
        try:
            if when is not None:
                applies = when(ctx)
                if applies == FALSE:
                    return "not_applicable", None, None
                if applies == UNKNOWN:
                    return "unknown", None, None
            if manual or check is None:
                return "manual", None, None
            return _STATUS_OF[check(ctx)], None, None
        except EvalError as exc:
            return "error", str(exc), exc.catalog
        except RecursionError:
            return "error", "condition nested too deeply", None

    def finding(subject: Subject, values: dict[str, Any], ctx: Context, status: Status, detail: str | None,
                catalog: str | None) -> Finding:
        if status == "fail" and evidence_only:
            status = "info"
        if status == "unknown" and detail is None:
            missing = [e.fact for e in ctx.evidence if e.result == UNKNOWN]
            detail = "not collected: " + ", ".join(dict.fromkeys(missing)) if missing else "facts missing"
        if catalog is None and ctx.catalogs_used:
            catalog = ", ".join(sorted(ctx.catalogs_used))
        message = ""
        if status == "unknown" or status == "error":
            message = f"Could not be checked: {detail}."
        elif status == "fail" or status == "manual" or status == "info":
            message, problem = render(rule.message, {**values, "evidence": ctx.evidence, "offenders": ctx.offenders,
                                                     "subject": subject.id, "status": status})
            if problem:
                detail = problem
        # Positional, in field order (scanner/model.py): keyword construction cost a tenth of a large run.
        return Finding(rule_id, title, severity, status, scope, subject.id, area, subject.node, message,
                       remediation, references, tuple(ctx.evidence), blocking, catalog, None, None, detail)

    def run(subjects: list[tuple[Subject, dict[str, Any]]]) -> list[Finding]:
        if not plain or check is None:
            return [finding(s, values, ctx, *outcome(s, ctx))
                    for s, values in subjects for ctx in (Context(values, catalogs, now),)]
        out: list[Finding] = []
        append = out.append
        ctx = Context({}, catalogs, now)
        for subject, values in subjects:
            # One context per rule, readied for each subject: a context per finding cost a tenth of a run.
            # Offenders and catalogs are rarely noted: their containers are renewed only once used.
            evidence: list[Evidence] = []
            ctx.values, ctx.evidence = values, evidence
            if ctx.offenders:
                ctx.offenders = []
            if ctx.catalogs_used:
                ctx.catalogs_used = set()
            if subject.missing is not None:
                append(finding(subject, values, ctx, *outcome(subject, ctx)))
                continue
            try:
                result = check(ctx)
            except EvalError as exc:
                append(finding(subject, values, ctx, "error", str(exc), exc.catalog))
                continue
            except RecursionError:
                append(finding(subject, values, ctx, "error", "condition nested too deeply", None))
                continue
            if result == TRUE and not ctx.catalogs_used:  # a pass: no message, no detail
                append(Finding(rule_id, title, severity, "pass", scope, subject.id, area, subject.node, "",
                               remediation, references, tuple(evidence), blocking, None, None, None, None))
            else:
                append(finding(subject, values, ctx, _STATUS_OF[result], None, None))
        return out

    return run


_STATUS_OF: dict[Tri, Status] = {TRUE: "pass", FALSE: "fail", UNKNOWN: "unknown"}


__all__ = ["evaluate_pack", "environment"]
