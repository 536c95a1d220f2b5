"""Check config, state store, secrets (names and sources, never values), Slack and AWS.

Exits 1 when a check fails. Example: brctl finance doctor --target=/srv/blackroad
"""

from __future__ import annotations

import typer

from brctl.output import render
from finance_pack.cli.common import FormatOption, OutputFormat, TargetOption
from finance_pack.context import load_context
from finance_pack.services.doctor import Status, run_checks


def doctor(target: TargetOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    findings = run_checks(load_context(target))
    rows = [{"check": f.check, "status": f.status.value, "detail": f.detail} for f in findings]
    render(rows, fmt, title="finance doctor")
    if any(f.status is Status.FAIL for f in findings):
        raise typer.Exit(1)
