"""Show the month's spend by a dimension, beside the same days of the month before.

Example: brctl finance costs --group-by tag:team --month 2026-11 --format csv
"""

from __future__ import annotations

from typing import Annotated

import typer

from brctl.output import render
from finance_pack.cli.common import FormatOption, OutputFormat, TargetOption, now, open_context


def costs(
    group_by: Annotated[
        str,
        typer.Option(
            "--group-by", help="service, account, region, provider or tag:KEY (e.g. tag:team)."
        ),
    ] = "service",
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: the current month).")
    ] = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    from finance_pack.services.cost_explorer import (  # Ibis and DuckDB: only when run
        COLUMNS,
        breakdown_json,
        breakdown_rows,
        explore_costs,
    )

    context = open_context(target)
    breakdown = explore_costs(context, group_by, month, now())
    if fmt is OutputFormat.JSON:
        render([breakdown_json(breakdown)], fmt)
        return
    rows = breakdown_rows(breakdown)
    if fmt is OutputFormat.CSV:
        render(rows, fmt, columns=COLUMNS)
        return
    document = breakdown_json(breakdown)
    period, previous = document["period"], document["previous_period"]
    title = (
        f"Spend by {breakdown.group_by}, {breakdown.month} "
        f"({period['start'][:10]} to {period['end'][:16]}) "  # type: ignore[index]
        f"vs {previous['start'][:10]} to {previous['end'][:16]}"  # type: ignore[index]
    )
    table = [
        {
            str(breakdown.group_by): row["key"],
            "currency": row["currency"],
            "amount": row["amount"],
            "previous": row["previous"],
            "change": row["change"],
            "change %": row["change_pct"],
        }
        for row in rows
    ]
    render(table, fmt, title=title)
