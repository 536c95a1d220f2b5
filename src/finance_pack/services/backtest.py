"""The forecast back-test use case: replay past months and score both forecasters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from finance_pack.config import FinanceConfig
from finance_pack.domain.backtest import BacktestResult, backtest
from finance_pack.domain.billing_month import billing_zone
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.forecasting import HISTORY_DAYS_WANTED
from finance_pack.domain.fx import FxTable
from finance_pack.errors import UsageError
from finance_pack.services.reporting import chosen_budgets, cost_queries


@dataclass(frozen=True)
class BacktestOutcome:
    as_of: datetime
    results: list[BacktestResult]


def forecast_backtest(
    engine: Engine,
    config: FinanceConfig,
    cost_store_url: str,
    *,
    months: int,
    names: Sequence[str] | None = None,
    on_month: Callable[[int, int], None] | None = None,
) -> BacktestOutcome:
    """Each forecast sees only earlier days; an unknown budget name is NotFoundError.
    `on_month(done, total)`: see `domain.backtest.backtest`."""
    # A stored budget that is not valid has nothing to back-test; `budget list` shows why.
    entries, _broken = chosen_budgets(engine, config, names)
    zone = billing_zone(config.timezone)
    with cost_queries(cost_store_url, config.timezone) as queries:
        as_of = queries.as_of()
        if as_of is None:
            raise UsageError("the cost store is empty", hint="ingest cost data first")
        # Each replayed month sees as much history before it as a live forecast does.
        start = as_of - timedelta(days=HISTORY_DAYS_WANTED + 31 * (months + 1))
        series = queries.spend_series_many(
            {b.name: b.scope for b in entries},
            start,
            as_of,
            config.billing_currency,
            config.cost_metric,
            FxTable.from_config(config.fx_rates),
        )
        data_start = queries.data_start()
    histories = [
        local_daily_totals(s.points, zone, as_of, data_start=data_start) for s in series.values()
    ]
    return BacktestOutcome(as_of, backtest(histories, months, on_month=on_month))
