"""`brctl finance forecast backtest`: how well each forecaster did on past months."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from brctl.output import render
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    err_console,
    open_context,
    open_state,
)
from finance_pack.errors import NotFoundError, UsageError

app = typer.Typer(help="Forecast quality.", no_args_is_help=True)


@app.command("backtest")
def backtest_cmd(
    months: Annotated[
        int, typer.Option("--months", min=1, max=36, help="Past months to replay.")
    ] = 6,
    budget: Annotated[
        list[str] | None, typer.Option("--budget", help="Only these budgets.")
    ] = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Replay past months day by day (each forecast sees only earlier days) and score both
    forecasters: MAPE of the month-end forecast by day, its mean over days 5-25, and how often
    the actual month-end fell inside the 80 % interval.

    Example: brctl finance forecast backtest --months 6 --format json
    """
    from finance_pack.budget_admin import budgets_in_force
    from finance_pack.domain.backtest import backtest
    from finance_pack.domain.billing_month import billing_zone
    from finance_pack.domain.daily import local_daily_totals
    from finance_pack.domain.forecasting.seasonal import CALIBRATION_MONTHS
    from finance_pack.reporting import cost_queries

    context = open_context(target)
    config = context.config
    entries = [
        e.budget
        for e in budgets_in_force(open_state(context), config)
        if not budget or e.budget.name in budget
    ]
    if budget and len(entries) != len(set(budget)):
        raise NotFoundError("unknown budget in --budget", hint="brctl finance budget list")
    zone = billing_zone(config.timezone)
    with cost_queries(context.cost_store_url, config.timezone) as queries:
        as_of = queries.as_of()
        if as_of is None:
            raise UsageError("the cost store is empty", hint="ingest cost data first")
        start = as_of - timedelta(days=31 * (months + CALIBRATION_MONTHS + 4))
        series = queries.spend_series_many(
            {b.name: b.scope for b in entries}, start, as_of, None, config.cost_metric
        )
        data_start = queries.data_start()
    histories = [
        local_daily_totals(s.points, zone, as_of, data_start=data_start) for s in series.values()
    ]
    results = backtest(histories, months)
    replayed = max((r.months for r in results), default=0)
    if replayed < months:
        err_console.print(
            f"note: replayed {replayed} month(s), not {months}: the cost store holds only "
            f"{replayed} complete month(s) of data"
        )
    if fmt is OutputFormat.JSON:
        render([r.to_json_dict() for r in results], fmt)
        return
    # People read percentages; CSV carries numbers only (percent values, no "%").
    sign = "%" if fmt is OutputFormat.TABLE else ""
    rows = []
    for result in results:
        row: dict[str, object] = {
            "forecaster": result.forecaster,
            "months": result.months,
            "budgets": result.series,
            "mape_5_25": _pct(result.mape_5_25, sign),
            "interval_coverage": None
            if result.interval_coverage is None
            else _pct(result.interval_coverage * 100, sign, digits=0),
        }
        for day in (1, 5, 10, 15, 20, 25):
            row[f"mape_day_{day}"] = _pct(result.mape_by_day.get(day), sign)
        rows.append(row)
    render(
        rows,
        fmt,
        title=f"Forecast back-test, data as of {as_of:%Y-%m-%d %H:%M} UTC",
    )


def _pct(value: float | None, sign: str, digits: int = 1) -> str | None:
    return None if value is None else f"{value:.{digits}f}{sign}"
