"""Show each budget's KPIs; money is exact, JSON is a stable contract.

Example: brctl finance kpi --month 2026-11 --budget platform --format json
"""

from __future__ import annotations

from typing import Annotated

import typer

from brctl.output import render
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    now,
    open_context,
    open_state,
)
from finance_pack.domain.kpis import KpiReport, age_text

# Scripts get every field (JSON, CSV); people get the figures they read, one budget a line.
CSV_COLUMNS = [
    "budget",
    "month",
    "currency",
    "as_of",
    "mtd_spend",
    "elapsed_days",
    "daily_burn",
    "forecast_month_end",
    "forecast_low",
    "forecast_high",
    "forecaster",
    "linear_forecast_month_end",
    "budget_amount",
    "consumption_forecast_pct",
    "consumption_actual_pct",
    "status",
    "data_age_hours",
    "stale",
    "final",
    "forecast_fallback",
    "error",
]


TABLE_COLUMNS = [
    "budget",
    "month",
    "MTD",
    "burn/day",
    "forecast (80% range)",
    "budget amount",
    "forecast %",
    "actual %",
    "status",
    "age",
]


def _table_row(row: dict[str, object]) -> dict[str, object]:
    if row["status"] == "error":
        return {"budget": row["budget"], "status": f"error: {row['error']}"}
    low, high = row["forecast_low"], row["forecast_high"]
    forecast = row["forecast_month_end"]
    band = f" ({low}–{high})" if low is not None and high is not None else ""
    # A forecast from too little history is marked; the note under the table says how.
    band += " *" if row.get("forecast_fallback") else ""
    return {
        "budget": row["budget"],
        "month": row["month"],
        "MTD": row["mtd_spend"],
        "burn/day": row["daily_burn"],
        "forecast (80% range)": f"{forecast}{band}" if forecast is not None else None,
        "budget amount": row["budget_amount"],
        "forecast %": row["consumption_forecast_pct"],
        "actual %": row["consumption_actual_pct"],
        "status": row["status"],
        "age": row["data age"],
    }


def kpi(
    month: Annotated[
        str | None,
        typer.Option("--month", help="YYYY-MM (default: the current month, billing time zone)."),
    ] = None,
    budget: Annotated[
        list[str] | None, typer.Option("--budget", help="Only these budgets.")
    ] = None,
    forecaster: Annotated[
        str | None, typer.Option("--forecaster", help="seasonal or linear (default: config).")
    ] = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    from finance_pack.services.reporting import ReportSettings, budget_kpis

    context = open_context(target)
    config = context.config
    # One budget that cannot be computed is a row with its error; the rest are reported.
    results = budget_kpis(
        open_state(context),
        config,
        context.cost_store_url,
        now=now(),
        names=budget,
        month=month,
        forecaster=forecaster,
    )
    settings = ReportSettings.from_config(config, forecaster)
    rows = [r.to_json_dict() for r in results]
    reports = [r for r in results if isinstance(r, KpiReport)]
    for row, result in zip(rows, results, strict=True):
        if fmt is OutputFormat.JSON or not isinstance(result, KpiReport):
            continue
        row["data age"] = age_text(result.data_age)
        if result.stale:
            row["status"] = f"stale (data {row['data age']} old)"
        elif result.no_spend_in_scope:
            row["status"] = f"{row['status']} (no spend in scope)"
        if result.final:
            row["status"] = f"{row['status']}, final"
    if fmt is OutputFormat.TABLE:
        computed = [row for row in rows if row["status"] != "error"]
        as_of = computed[0]["as_of"] if computed else "n/a"
        currency = computed[0]["currency"] if computed else ""
        age = f" ({age_text(max(r.data_age for r in reports))} old)" if reports else ""
        title = f"KPIs in {currency}, data as of {as_of}{age}, forecaster {settings.forecaster}"
        render([_table_row(row) for row in rows], fmt, title=title, columns=TABLE_COLUMNS)
        for row in rows:
            if row.get("forecast_fallback"):
                typer.echo(f"* {row['budget']}: {row['forecast_fallback']}")
        return
    render(rows, fmt, title="KPIs", columns=None if fmt is OutputFormat.JSON else CSV_COLUMNS)
