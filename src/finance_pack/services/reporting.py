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
from finance_pack.costs.snapshots import SnapshotView, open_for_reading
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, BudgetFailure, Scope
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.forecasting import HISTORY_DAYS_WANTED
from finance_pack.domain.fx import FxTable, MissingFxRateError
from finance_pack.domain.kpis import (
    DEFAULT_STALE_AFTER,
    EmptyCostStoreError,
    KpiReport,
    compute_kpis,
)
from finance_pack.domain.movers import Mover, biggest_movers
from finance_pack.domain.scope_match import unmatched_values
from finance_pack.domain.spend import SpendSeries
from finance_pack.errors import NotFoundError, UsageError
from finance_pack.services.budget_admin import budgets_in_force
from finance_pack.store.budgets import BudgetEntry, entry_name


@contextmanager
def cost_queries(url: str, timezone: str) -> Iterator[CostQueries]:
    """Queries on the cost store's current snapshot (complete, whatever a writer is doing).

    `timezone` is the billing time zone (finance.yaml `timezone`): the rollup's days follow it.
    """
    with open_for_reading(url, timezone) as view:
        yield CostQueries(view.store.backend)


@contextmanager
def cost_snapshot(url: str, timezone: str) -> Iterator[SnapshotView]:
    """The current snapshot with its opaque id (None: not cacheable); build `CostQueries` on
    `view.store.backend` only when a query is needed (it reads the rollup layout)."""
    with open_for_reading(url, timezone) as view:
        yield view


@dataclass(frozen=True)
class ReportSettings:
    """What every KPI read needs from finance.yaml."""

    timezone: str
    metric: Metric
    forecaster: str
    fx_rates: FxTable
    #: The billing currency (finance.yaml): spend is read in it, other currencies converted.
    currency: str
    #: Data older than this is stale (finance.yaml `stale_after_hours`).
    stale_after: timedelta = DEFAULT_STALE_AFTER

    @classmethod
    def from_config(cls, config: FinanceConfig, forecaster: str | None = None) -> ReportSettings:
        return cls(
            timezone=config.timezone,
            metric=config.cost_metric,
            forecaster=forecaster or config.budgeteer.forecaster,
            fx_rates=FxTable.from_config(config.fx_rates),
            currency=config.billing_currency,
            stale_after=timedelta(hours=config.stale_after_hours),
        )


def default_month(settings: ReportSettings, now: datetime) -> BillingMonth:
    """The month that contains now in the billing time zone: on the 1st, the new month (with
    what data it has so far), not the one that just closed."""
    return BillingMonth.containing(now, settings.timezone)


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
    """A YYYY-MM month in the billing time zone; None means the month containing now."""
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
    """KPIs of every budget for `month` (default: the month containing now); a budget that
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
    month = month or default_month(settings, now)
    data_start = queries.data_start()
    if data_start is None:
        raise EmptyCostStoreError(month)
    start = month.start - timedelta(days=HISTORY_DAYS_WANTED)
    scopes = {b.name: b.scope for b in budgets}
    # Spend in the billing currency, other currencies converted by month (one rule, domain.fx);
    # a rate missing for stored spend concerns every budget and is raised.
    series = queries.spend_series_many(
        scopes, start, month.end, settings.currency, settings.metric, settings.fx_rates
    )
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
        except (ValueError, ArithmeticError, MissingFxRateError) as exc:
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
        stale_after=settings.stale_after,
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
        rows = queries.spend_by_dimension(
            budget.scope,
            dimension,
            start,
            end,
            settings.metric,
            settings.currency,
            settings.fx_rates,
        )
        return {row.key: row.amount.amount for row in rows}

    return biggest_movers(spend(as_of - week, as_of), spend(as_of - 2 * week, as_of - week))


#: How far back `budget set` looks for spend a new scope matches.
SCOPE_CHECK_WINDOW = timedelta(days=90)


class ScopeMatchesNothingError(UsageError):
    """A budget scope matched no spend in the last 90 days (`budget set --strict`)."""


def scope_warning(queries: CostQueries, scope: Scope, now: datetime) -> str | None:
    """Why `scope` looks wrong (it matched no spend in 90 days), naming the closest values
    that exist; None when it matched spend."""
    start = now - SCOPE_CHECK_WINDOW
    if queries.scope_has_spend(scope, start, now):
        return None
    present = queries.values_present(start, now)
    if not any(present.values()):
        return "the cost store has no data in the last 90 days: the scope cannot be checked"
    lines = ["the scope matched no spend in the last 90 days"]
    for name, values in unmatched_values(scope, present).items():
        for value, closest in values.items():
            hint = f"; closest: {', '.join(closest)}" if closest else ""
            lines.append(f"  {name} {value!r} matches nothing{hint}")
    return "\n".join(lines)
