"""Show each SLO's attainment against its objective, with the error budget left.

Example: brctl finance slo --format json
"""

from __future__ import annotations

from brctl.output import render
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    now,
    open_context,
    open_state,
)

COLUMNS = [
    "slo",
    "window",
    "objective",
    "attainment",
    "error_budget_remaining",
    "events",
    "good",
    "met",
    "p50_seconds",
    "p95_seconds",
    "p99_seconds",
    "max_seconds",
    "bad_events",
]


def slo(target: TargetOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    from finance_pack.services.slos import slo_reports

    context = open_context(target)
    reports = slo_reports(context, open_state(context), now())
    render(
        [r.to_json_dict() for r in reports],
        fmt,
        title="SLOs",
        columns=None if fmt is OutputFormat.JSON else COLUMNS,
    )
