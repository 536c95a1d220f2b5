"""What each dashboard page shows, built from the same use cases the API serves, so a figure on
a page is the figure `/v1/kpis`, `/v1/costs` and `/v1/slo` return (the same strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from finance_pack.api.dashboard.charts import BurnChartData, burn_chart_svg
from finance_pack.context import PackContext
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import BudgetFailure
from finance_pack.errors import UsageError
from finance_pack.services.backtest import forecast_backtest
from finance_pack.services.budget_admin import budgets_in_force
from finance_pack.services.reporting import (
    ReportSettings,
    budget_snapshots,
    cost_queries,
    default_month,
)
from finance_pack.services.slos import slo_reports
from finance_pack.store.budgets import BudgetEntry


@dataclass(frozen=True, slots=True)
class BudgetCard:
    kpis: dict[str, object]  # exactly `/v1/kpis`'s object for this budget
    chart_svg: str
    scope: str
    thresholds: tuple[str, ...]

    @property
    def actual_width(self) -> str:
        return _bar_width(self.kpis["consumption_actual_pct"])

    @property
    def forecast_width(self) -> str:
        return _bar_width(self.kpis["consumption_forecast_pct"])


@dataclass(frozen=True, slots=True)
class Freshness:
    provider: str
    newest: datetime
    age_hours: Decimal


@dataclass(frozen=True, slots=True)
class BudgetsPage:
    month: str
    previous_month: str
    next_month: str | None
    as_of: datetime | None
    freshness: tuple[Freshness, ...]
    cards: tuple[BudgetCard, ...]
    forecaster: str
    failures: tuple[BudgetFailure, ...] = ()  # budgets that cannot be read or computed


def _bar_width(percent: object) -> str:
    """A progress bar's CSS width: the percentage, capped at 100 % of the track."""
    if percent is None:
        return "0%"
    return f"{min(Decimal(str(percent)), Decimal(100)):f}%"


def _month(text: str | None, now: datetime, timezone: str) -> BillingMonth | None:
    if not text:
        return None
    try:
        return BillingMonth.parse(text, timezone)
    except ValueError as exc:
        raise UsageError(f"month {text!r}: {exc}") from exc


def budgets_page(
    context: PackContext, engine: Engine, month_text: str | None, now: datetime
) -> BudgetsPage:
    config = context.config
    settings = ReportSettings.from_config(config)
    entries = budgets_in_force(engine, config)
    budgets = [entry.budget for entry in entries if isinstance(entry, BudgetEntry)]
    failures = [entry.failure() for entry in entries if not isinstance(entry, BudgetEntry)]
    with cost_queries(context.cost_store_url, config.timezone) as queries:
        month = _month(month_text, now, config.timezone) or default_month(queries, settings, now)
        snapshots = budget_snapshots(
            queries, budgets, settings, now=now, month=month, movers=False, days=True
        )
        newest = queries.freshness_by_provider()
        as_of = queries.as_of()
    cards = []
    for budget, snapshot in zip(budgets, snapshots, strict=True):
        if isinstance(snapshot, BudgetFailure):
            failures.append(snapshot)
            continue
        report = snapshot.report
        chart = BurnChartData(
            title=f"{budget.name}: cumulative spend, forecast and budget, {month}",
            currency=report.currency,
            days_in_month=report.days_in_month,
            daily=snapshot.daily,
            budget=report.budget_amount,
            forecast=report.forecast_month_end,
            forecast_low=report.forecast_low,
            forecast_high=report.forecast_high,
            thresholds=tuple(t.percent for t in budget.thresholds),
        )
        cards.append(
            BudgetCard(
                report.to_json_dict(),
                burn_chart_svg(chart),
                budget.scope.describe(),
                tuple(str(t) for t in budget.thresholds),
            )
        )
    freshness = tuple(
        Freshness(provider, moment, _hours(now - moment))
        for provider, moment in sorted(newest.items())
    )
    current = BillingMonth.containing(now, config.timezone)
    return BudgetsPage(
        month=str(month),
        previous_month=str(month.previous()),
        next_month=None if month.next().start > current.start else str(month.next()),
        as_of=as_of,
        freshness=freshness,
        cards=tuple(cards),
        forecaster=settings.forecaster,
        failures=tuple(sorted(failures, key=lambda f: f.budget)),
    )


def _hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class BacktestPage:
    months: int
    as_of: datetime
    results: tuple[dict[str, object], ...]  # exactly `/v1/forecast/backtest`'s results


_BACKTESTS: dict[tuple[object, ...], BacktestPage] = {}


def backtest_page(state: Any, months: int) -> BacktestPage:
    """The back-test replays months day by day (seconds per budget), so each result is kept
    for the data and budgets it was computed on: a new ingest or budget change recomputes."""
    context = state.context
    config = context.config
    budgets = budgets_in_force(state.engine, config)
    with cost_queries(context.cost_store_url, config.timezone) as queries:
        as_of = queries.as_of()
    key = (context.cost_store_url, as_of, months, tuple(repr(e) for e in budgets))
    if key not in _BACKTESTS:
        outcome = forecast_backtest(state.engine, config, context.cost_store_url, months=months)
        results = tuple(result.to_json_dict() for result in outcome.results)
        _BACKTESTS.clear()  # one entry: the newest data is all anyone asks for
        _BACKTESTS[key] = BacktestPage(months, outcome.as_of, results)
    return _BACKTESTS[key]


def slo_page(context: PackContext, engine: Engine, now: datetime) -> list[dict[str, object]]:
    return [report.to_json_dict() for report in slo_reports(context, engine, now)]
