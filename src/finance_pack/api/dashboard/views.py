"""What each dashboard page shows, built from the same use cases the API serves, so a figure on
a page is the figure `/v1/kpis`, `/v1/costs` and `/v1/slo` return (the same strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from finance_pack.agents.cost_watcher.admin import incident_row
from finance_pack.api.dashboard.charts import (
    BurnChartData,
    ContributorBar,
    burn_chart_svg,
    contributors_svg,
)
from finance_pack.api.kpi_answers import BudgetReport
from finance_pack.context import PackContext
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, BudgetFailure
from finance_pack.services.invoices import invoice_json
from finance_pack.services.slos import slo_reports
from finance_pack.store.alerts import list_incidents
from finance_pack.store.invoices import list_invoices


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


def budgets_page(report: BudgetReport, timezone: str) -> BudgetsPage:
    """The budgets page of one KPI report (the one `/v1/kpis` serves for the same question),
    at the instant the report was computed for."""
    now, month = report.at, report.month
    failures = list(report.broken)
    cards = []
    for budget, snapshot in zip(report.budgets, report.items, strict=True):
        if isinstance(snapshot, BudgetFailure):
            failures.append(snapshot)
            continue
        cards.append(_card(budget, snapshot, month))
    freshness = tuple(
        Freshness(provider, moment, _hours(now - moment)) for provider, moment in report.newest
    )
    current = BillingMonth.containing(now, timezone)
    return BudgetsPage(
        month=str(month),
        previous_month=str(month.previous()),
        next_month=None if month.next().start > current.start else str(month.next()),
        as_of=report.as_of,
        freshness=freshness,
        cards=tuple(cards),
        forecaster=report.forecaster,
        failures=tuple(sorted(failures, key=lambda f: f.budget)),
    )


def _card(budget: Budget, snapshot: BudgetSnapshot, month: BillingMonth) -> BudgetCard:
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
    return BudgetCard(
        report.to_json_dict(),
        burn_chart_svg(chart),
        budget.scope.describe(),
        tuple(str(t) for t in budget.thresholds),
    )


def _hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class BacktestPage:
    months: int
    as_of: datetime
    results: tuple[dict[str, object], ...]  # exactly `/v1/forecast/backtest`'s results
    behind: bool = False  # newer data's back-test is being computed


def backtest_page(document: dict[str, object], months: int, behind: bool = False) -> BacktestPage:
    """The page of `/v1/forecast/backtest`'s answer (the same cached document)."""
    results = document["results"]
    assert isinstance(results, list)
    as_of = datetime.fromisoformat(str(document["as_of"]))
    return BacktestPage(months, as_of, tuple(results), behind)


@dataclass(frozen=True, slots=True)
class IncidentCard:
    row: dict[str, Any]  # exactly `/v1/alerts`'s object for this incident
    expected: str
    actual: str
    chart_svg: str


def anomalies_page(engine: Engine, state: str | None) -> list[IncidentCard]:
    cards = []
    for stored in list_incidents(engine, state=state, limit=100):
        incident = stored.incident
        bars = [
            ContributorBar(c.series, c.actual, c.expected, c.upper)
            for c in incident.top_contributors(5)
        ]
        title = f"Incident {stored.id}: actual against the expected range per series"
        cards.append(
            IncidentCard(
                incident_row(stored),
                f"{incident.expected:f}",
                f"{incident.actual:f}",
                contributors_svg(title, incident.currency, bars) if bars else "",
            )
        )
    return cards


def invoices_page(engine: Engine, status: str | None) -> list[dict[str, Any]]:
    """Exactly `/v1/invoices`'s objects, newest first."""
    with engine.connect() as connection:
        records = list_invoices(connection, status=status, limit=200)
    return [invoice_json(record) for record in records]


def slo_page(context: PackContext, engine: Engine, now: datetime) -> list[dict[str, object]]:
    return [report.to_json_dict() for report in slo_reports(context, engine, now)]
