"""Forecast quality."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

app = typer.Typer(help=__doc__, no_args_is_help=True)


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
    forecasters: MAPE of the month-end forecast by day, its mean over days 5-25, its bias (mean
    signed error over days 5-25, negative = forecast too low), and how often
    the actual month-end fell inside the 80 % interval.

    Example: brctl finance forecast backtest --months 6 --format json
    """
    from finance_pack.services.backtest import forecast_backtest

    context = open_context(target)
    with _progress_bar(fmt is OutputFormat.TABLE) as on_month:
        outcome = forecast_backtest(
            open_state(context),
            context.config,
            context.cost_store_url,
            months=months,
            names=budget,
            on_month=on_month,
        )
    results, as_of = outcome.results, outcome.as_of
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
            "bias_5_25": None if result.bias_5_25 is None else f"{result.bias_5_25:+.1f}{sign}",
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


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """Months replayed (of every budget), on stderr; gone once done."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if not enabled:
        yield None
        return
    columns = (
        TextColumn("replaying months"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("backtest", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _pct(value: float | None, sign: str, digits: int = 1) -> str | None:
    return None if value is None else f"{value:.{digits}f}{sign}"
