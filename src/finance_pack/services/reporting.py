"""KPI reports for budgets: one cost-store query for every budget, then the pure domain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.config import FinanceConfig
from finance_pack.costs.queries import CostQueries, Dimension, Metric
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, BudgetFailure
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.forecasting import HISTORY_DAYS_WANTED
from finance_pack.domain.kpis import FxRates, KpiReport, compute_kpis
from finance_pack.domain.movers import Mover, biggest_movers
from finance_pack.domain.spend import SpendSeries
from finance_pack.errors import NotFoundError, UsageError
from finance_pack.services.budget_admin import budgets_in_force
from finance_pack.store.budgets import BudgetEntry, entry_name


@contextmanager
def cost_queries(url: str, timezone: str) -> Iterator[CostQueries]:
    """The cost store, open only while it is read: DuckDB lets one process write its file,
    so a long-lived API or agent must not keep it open while `ingest` runs.

    `timezone` is the billing time zone (finance.yaml `timezone`): the rollup's days follow it.
    """
    store = CostStore.open(url, timezone=timezone)
    try:
        yield CostQueries(store.backend)
    finally:
        store.close()


@dataclass(frozen=True)
class ReportSettings:
    """What every KPI read needs from finance.yaml."""

    timezone: str
    metric: Metric
    forecaster: str
    fx_rates: FxRates

    @classmethod
    def from_config(cls, config: FinanceConfig, forecaster: str | None = None) -> ReportSettings:
        rates: dict[tuple[str, str], Decimal] = {}
        for pair, rate in config.fx_rates.items():
            base, quote = pair.split("/")
            rates[(base, quote)] = rate
        return cls(
            timezone=config.timezone,
            metric=config.cost_metric,
            forecaster=forecaster or config.budgeteer.forecaster,
            fx_rates=rates,
        )


def default_month(queries: CostQueries, settings: ReportSettings, now: datetime) -> BillingMonth:
    """The month of the newest complete data, else the current month."""
    as_of = queries.as_of()
    reference = min(as_of - timedelta(microseconds=1), now) if as_of else now
    return BillingMonth.containing(reference, settings.timezone)


def chosen_budgets(
    engine: Engine, config: FinanceConfig, names: Sequence[str] | None
) -> tuple[list[Budget], list[BudgetFailure]]:
    """The budgets in force named in `names` (all when none), and those among them whose stored
    row is not valid (each reported in its own row); an unknown name is NotFoundError."""
    entries = [e for e in budgets_in_force(engine, config) if not names or entry_name(e) in names]
    missing = sorted(set(names or []) - {entry_name(e) for e in entries})
    if missing:
        raise NotFoundError(
            f"no budget named {', '.join(missing)}",
            hint="list them with: brctl finance budget list",
        )
    chosen = [e.budget for e in entries if isinstance(e, BudgetEntry)]
    return chosen, [e.failure() for e in entries if not isinstance(e, BudgetEntry)]


def parse_month(month: str | None, timezone: str) -> BillingMonth | None:
    """A YYYY-MM month in the billing time zone; None means the month of the newest data."""
    try:
        return BillingMonth.parse(month, timezone) if month else None
    except ValueError as exc:
        raise UsageError(f"month {month!r}: {exc}") from exc


def budget_kpis(
    engine: Engine,
    config: FinanceConfig,
    cost_store_url: str,
    *,
    now: datetime,
    names: Sequence[str] | None = None,
    month: str | None = None,
    forecaster: str | None = None,
) -> list[KpiReport | BudgetFailure]:
    """The KPI use case (`brctl finance kpi`, `GET /v1/kpis`): one answer for both shells.

    One budget that cannot be read or computed is a BudgetFailure in its row, by name order;
    the others are reported."""
    chosen, broken = chosen_budgets(engine, config, names)
    billing_month = parse_month(month, config.timezone)
    settings = ReportSettings.from_config(config, forecaster)
    with cost_queries(cost_store_url, config.timezone) as queries:
        reports = kpi_reports(queries, chosen, settings, now=now, month=billing_month)
    return sorted([*reports, *broken], key=lambda r: r.budget)


def kpi_reports(
    queries: CostQueries,
    budgets: Sequence[Budget],
    settings: ReportSettings,
    *,
    now: datetime,
    month: BillingMonth | None = None,
) -> list[KpiReport | BudgetFailure]:
    """KPIs of every budget for `month` (default: the month of the newest data); a budget that
    cannot be computed is a BudgetFailure in its place."""
    return [
        item.report if isinstance(item, BudgetSnapshot) else item
        for item in budget_snapshots(queries, budgets, settings, now=now, month=month, movers=False)
    ]


def budget_snapshots(
    queries: CostQueries,
    budgets: Sequence[Budget],
    settings: ReportSettings,
    *,
    now: datetime,
    month: BillingMonth | None = None,
    movers: bool = True,
    days: bool | None = None,
) -> list[BudgetSnapshot | BudgetFailure]:
    """KPIs plus the month's daily spend (`days`, default: with movers) and the week's movers,
    per budget (weekly summary, dashboard).

    One budget that cannot be computed (say, its currency has no FX rate) becomes a
    BudgetFailure naming the error; the others are still reported. Errors about the month
    itself (no data yet, a future month) concern every budget and are raised.
    """
    days = movers if days is None else days
    month = month or default_month(queries, settings, now)
    start = month.start - timedelta(days=HISTORY_DAYS_WANTED)
    scopes = {b.name: b.scope for b in budgets}
    series = queries.spend_series_many(scopes, start, month.end, None, settings.metric)
    data_start = queries.data_start()
    snapshots: list[BudgetSnapshot | BudgetFailure] = []
    for budget in budgets:
        try:
            snapshot = _snapshot(
                queries,
                budget,
                series[budget.name],
                month,
                settings,
                now=now,
                data_start=data_start,
                movers=movers,
                days=days,
            )
        except (ValueError, ArithmeticError) as exc:
            snapshots.append(BudgetFailure(budget.name, str(exc)))
        else:
            snapshots.append(snapshot)
    return snapshots


def _snapshot(
    queries: CostQueries,
    budget: Budget,
    series: SpendSeries,
    month: BillingMonth,
    settings: ReportSettings,
    *,
    now: datetime,
    data_start: datetime | None,
    movers: bool,
    days: bool,
) -> BudgetSnapshot:
    report = compute_kpis(
        series,
        budget,
        month,
        now=now,
        data_start=data_start,
        forecaster=settings.forecaster,
        fx_rates=settings.fx_rates,
    )
    month_days = _month_days(series, month, report.as_of, data_start) if days else ()
    if not movers:
        return BudgetSnapshot(report, month_days)
    return BudgetSnapshot(
        report,
        month_days,
        tuple(_week_movers(queries, budget, report.as_of, settings, "service")),
        tuple(_week_movers(queries, budget, report.as_of, settings, "account")),
    )


def _month_days(
    series: SpendSeries, month: BillingMonth, as_of: datetime, data_start: datetime | None
) -> tuple[tuple[date, Decimal], ...]:
    """The month's complete local days, for the chart."""
    daily = local_daily_totals(series.points, month.zone, as_of, data_start=data_start)
    last = month.next().first_day
    return tuple((d, a) for d, a in sorted(daily.items()) if month.first_day <= d < last)


def _week_movers(
    queries: CostQueries,
    budget: Budget,
    as_of: datetime,
    settings: ReportSettings,
    dimension: Dimension,
) -> list[Mover]:
    """Services (or accounts) whose spend changed most between the last two complete weeks."""
    week = timedelta(days=7)

    def spend(start: datetime, end: datetime) -> Mapping[str, Decimal]:
        rows = queries.spend_by_dimension(budget.scope, dimension, start, end, settings.metric)
        return {row.key: row.amount.amount for row in rows}

    return biggest_movers(spend(as_of - week, as_of), spend(as_of - 2 * week, as_of - week))
