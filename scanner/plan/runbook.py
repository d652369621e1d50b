"""The plan as runbook.ps1: one commented block per step, dry run unless -Execute, a stop at each gate.

PowerShell 5.1 compatible (no ternaries, no ?? or ?.), read-only unless -Execute, no credential
ever: it runs as the operator who starts it, on a cluster node or a host with the
FailoverClusters module. Every changing command goes through Invoke-Change, which only prints it
without -Execute (the cluster cmdlets do not all honour -WhatIf, so the runbook does not rely on it).
"""
from __future__ import annotations

from scanner.plan.model import Command, Gate, Plan, Step
from scanner.pwsh import ps_quote

HEADER = r"""<#
.SYNOPSIS
    Cluster OS Rolling Upgrade runbook for {cluster}: Windows Server {source} -> {target}.
.DESCRIPTION
    Written by rollready plan from the facts of {cluster} ({collected}). Read docs/plan.md.
    Without -Execute nothing is changed: every changing command is printed as "What if:".
    The runbook stops at every gate until you type YES. It never asks for or stores a credential:
    run it elevated, as an account that administers the cluster.
    The point of no return is step X1 (Update-ClusterFunctionalLevel).
.PARAMETER Execute
    Run the changing commands instead of printing them.
.PARAMETER From
    Resume at this step ID (e.g. N-NODE2-1) after an interruption.
.PARAMETER Inventory
    rollready inventory for the gate scans; without it the gates ask you to run them yourself.
#>
[CmdletBinding()]
param(
    [switch]$Execute,
    [string]$From = '',
    [string]$Inventory = '',
    [string]$OutDir = (Get-Location).Path
)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
Import-Module FailoverClusters
$script:Started = ($From -eq '')

function Enter-Step {
    param([string]$Id, [string]$Title)
    if (-not $script:Started -and $Id -eq $From) { $script:Started = $true }
    if ($script:Started) { Write-Host ''; Write-Host ('==== ' + $Id + ': ' + $Title) -ForegroundColor Cyan }
    return $script:Started
}

function Invoke-Change {
    param([string]$Text, [scriptblock]$Action)
    if ($Execute) { Write-Host ('>> ' + $Text); & $Action }
    else { Write-Host ('What if: ' + $Text) -ForegroundColor Yellow }
}

function Invoke-Check {
    param([string]$Text, [scriptblock]$Action)
    Write-Host ('?? ' + $Text)
    & $Action | Out-Host
}

function Invoke-GateScan {
    param([string]$Phase)
    if ($Inventory -eq '') {
        Write-Host ('Run now: rollready scan -i <inventory> --phase ' + $Phase + ' --target-os {target} --out <dir>')
        return
    }
    $dir = Join-Path $OutDir ('scan-' + $Phase + '-' + (Get-Date -Format 'yyyyMMddTHHmmss'))
    & rollready scan -i $Inventory --phase $Phase --target-os '{target}' --out $dir
    $code = $LASTEXITCODE
    if ($code -eq 2) { throw ('rollready scan says NO-GO (exit 2): stop here and read ' + $dir) }
    if ($code -ne 0 -and $code -ne 1) { Write-Warning ('rollready scan exit ' + $code + ': not a GO; read ' + $dir) }
}

function Wait-Gate {
    param([string]$Question)
    Write-Host ('GATE: ' + $Question) -ForegroundColor Magenta
    $answer = Read-Host 'Type YES to go on, anything else stops the runbook'
    if ($answer -cne 'YES') { throw ('Stopped at the gate. Resume later with -From and the next step ID.') }
}
"""


def render_runbook(plan: Plan, collected_at: str) -> str:
    out = [HEADER.replace("{cluster}", _comment(plan.cluster)).replace("{source}", plan.source_os)
           .replace("{target}", plan.target_os).replace("{collected}", _comment(collected_at))]
    for step in plan.steps:
        out.append(_block(step))
    out.append("\nWrite-Host ''\nWrite-Host 'Runbook finished.' -ForegroundColor Green\n")
    return "".join(out)


def _block(step: Step) -> str:
    lines = ["", "# " + "-" * 98, f"# {_comment(step.id)}: {_comment(step.title)}"]
    lines += [f"#   {_comment(line)}" for line in _wrap(step.why)]
    if step.rollback:
        lines += [f"#   Way back: {_comment(line)}" for line in _wrap(step.rollback)]
    if not step.reversible:
        lines.append("#   IRREVERSIBLE.")
    lines += [f"#   Source: {_comment(src)}" for src in step.sources]
    lines.append(f"if (Enter-Step {ps_quote(step.id)} {ps_quote(step.title)}) {{")
    for cmd in step.commands:
        lines.append("    " + _call(cmd))
    if step.gate is not None:
        lines += ["    " + line for line in _gate(step.gate)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _call(cmd: Command) -> str:
    verb = "Invoke-Change" if cmd.changes else "Invoke-Check"
    comment = f"  # {_comment(cmd.why)}" if cmd.why else ""
    return f"{verb} {ps_quote(cmd.text)} {{ {cmd.text} }}{comment}"


def _gate(gate: Gate) -> list[str]:
    lines = [_call(c) for c in gate.checks]
    if gate.scan_phase:
        lines.append(f"Invoke-GateScan {ps_quote(gate.scan_phase)}")
    lines.append(f"Wait-Gate {ps_quote(gate.question)}")
    return lines


def _comment(text: str) -> str:
    """Text for a comment line: one line, no control characters, no block-comment end."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split()).replace("#>", "# >")


def _wrap(text: str, width: int = 96) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])
