"""Rolling-upgrade plans: facts → ordered steps (build), runbook.ps1 (runbook), plan.html/pdf (render)."""
from scanner.plan.build import PlanRefused, build_plan
from scanner.plan.model import Plan, Step
from scanner.plan.render import render_html, render_pdf
from scanner.plan.runbook import render_runbook

__all__ = ["Plan", "PlanRefused", "Step", "build_plan", "render_html", "render_pdf", "render_runbook"]
