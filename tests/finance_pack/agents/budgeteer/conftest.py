from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from budgeteer_support import engine

from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, Threshold
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.kpis import compute_kpis
from finance_pack.domain.money import Money
from finance_pack.domain.movers import biggest_movers
from finance_pack.domain.spend import SpendPoint, SpendSeries

__all__ = ["engine"]  # the state-store fixture (budgeteer_support.py)


def daily_series(start: datetime, days: int, amount: str = "100.00") -> SpendSeries:
    points = tuple(
        SpendPoint(start + timedelta(days=i), Decimal(amount) + Decimal(i % 7), hours=24)
        for i in range(days)
    )
    return SpendSeries("USD", points, start + timedelta(days=days))


@pytest.fixture
def snapshot() -> BudgetSnapshot:
    series = daily_series(datetime(2026, 9, 1, tzinfo=UTC), 86)  # through 25 November
    budget = Budget(
        "platform",
        Money.of("3000", "USD"),
        thresholds=(Threshold.parse("80"), Threshold.parse("100:forecast")),
    )
    month = BillingMonth(2026, 11)
    report = compute_kpis(series, budget, month, now=datetime(2026, 11, 27, tzinfo=UTC))
    assert series.as_of is not None
    daily = local_daily_totals(series.points, month.zone, series.as_of)
    month_days = tuple((d, a) for d, a in sorted(daily.items()) if d >= month.first_day)
    movers = biggest_movers(
        {"Amazon EC2": Decimal("812.40"), "Amazon S3": Decimal("90"), "AWS Lambda": Decimal("12")},
        {"Amazon EC2": Decimal("640.00"), "Amazon S3": Decimal("120"), "Amazon RDS": Decimal("55")},
    )
    return BudgetSnapshot(report, month_days, tuple(movers))
