"""Reports at the turn of the month and on stale data, end to end over a real cost store
(issue 9 items 5 and 6): the 1st at 00:30 local time, with and without the previous day's data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cost_files import Row

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, Scope, Threshold
from finance_pack.domain.fx import FxTable
from finance_pack.domain.kpis import EmptyCostStoreError, KpiReport, KpiStatus
from finance_pack.domain.money import Money
from finance_pack.services.reporting import ReportSettings, kpi_reports

WriteCsv = Callable[..., Path]
PARIS = "Europe/Paris"
ZONE = ZoneInfo(PARIS)
# 00:30 on 1 November in Paris (23:30 UTC on 31 October).
FIRST_OF_MONTH = datetime(2026, 11, 1, 0, 30, tzinfo=ZONE).astimezone(UTC)


def _daily_rows(first: date, last: date) -> list[Row]:
    """One row per local day, each lasting the whole day, with a varying amount."""
    rows = []
    day = first
    while day <= last:
        start = datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZONE).astimezone(UTC)
        amount = Decimal(100 + (day.toordinal() * 37) % 23)
        rows.append(Row(start, amount, amount, hours=int((end - start) / timedelta(hours=1))))
        day += timedelta(days=1)
    return rows


def _settings(forecaster: str = "seasonal") -> ReportSettings:
    return ReportSettings(
        timezone=PARIS,
        metric="BilledCost",
        forecaster=forecaster,
        fx_rates=FxTable(),
        currency="USD",
    )


def _load(store: CostStore, focus_csv: WriteCsv, last: date) -> list[Row]:
    rows = _daily_rows(date(2026, 6, 1), last)
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    return rows


@pytest.fixture
def paris_store(tmp_path: Path) -> Iterator[CostStore]:
    store = CostStore.open(f"duckdb:///{tmp_path / 'paris.duckdb'}", timezone=PARIS)
    yield store
    store.close()


def _report(store: CostStore, budget: Budget, month: BillingMonth | None = None) -> KpiReport:
    [report] = kpi_reports(
        CostQueries(store.backend), [budget], _settings(), now=FIRST_OF_MONTH, month=month
    )
    return report


BUDGET = Budget("all", Money.of("5000", "USD"), Scope())


@pytest.mark.parametrize(
    "last_day", [date(2026, 10, 31), date(2026, 10, 30)], ids=["with", "without"]
)
def test_at_0030_on_the_1st_the_report_is_for_the_new_month_with_a_seasonal_forecast(
    paris_store: CostStore, focus_csv: WriteCsv, last_day: date
) -> None:
    _load(paris_store, focus_csv, last_day)
    report = _report(paris_store, BUDGET)
    data = report.to_json_dict()
    assert data["month"] == "2026-11"
    assert (data["mtd_spend"], data["elapsed_days"]) == ("0.00", "0")
    assert (data["daily_burn"], data["linear_forecast_month_end"]) == (None, None)
    assert data["forecaster"] == "seasonal"
    assert report.forecast_low is not None and report.forecast_high is not None
    assert report.forecast_month_end is not None
    assert report.forecast_low <= report.forecast_month_end <= report.forecast_high
    assert report.forecast_month_end > Decimal(2000)  # ~110 a day for 30 days
    assert data["stale"] is False and data["final"] is False
    assert data["data_age_hours"] == ("0.5" if last_day.day == 31 else "24.5")


def test_a_closed_month_is_final_forecast_equals_actual_without_an_interval(
    paris_store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = _load(paris_store, focus_csv, date(2026, 10, 31))
    report = _report(paris_store, BUDGET, BillingMonth(2026, 10, PARIS))
    october = sum((r.billed for r in rows if r.start.astimezone(ZONE).month == 10), Decimal(0))
    assert report.final is True
    assert report.mtd_spend == october
    assert report.forecast_month_end == october
    assert (report.forecast_low, report.forecast_high) == (None, None)


def test_an_ended_month_raises_no_forecast_basis_threshold(
    paris_store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = _load(paris_store, focus_csv, date(2026, 10, 30))  # the 31st never arrived
    october = sum((r.billed for r in rows if r.start.astimezone(ZONE).month == 10), Decimal(0))
    forecast_only = Threshold.parse("100:forecast")
    budget = Budget("tight", Money(october * Decimal("1.01"), "USD"), Scope(), (forecast_only,))
    report = _report(paris_store, budget, BillingMonth(2026, 10, PARIS))
    assert report.consumption_actual_pct < 100
    assert report.thresholds_crossed == ()
    assert report.status is KpiStatus.OK


def test_data_older_than_the_limit_is_stale_and_says_how_old(
    paris_store: CostStore, focus_csv: WriteCsv
) -> None:
    _load(paris_store, focus_csv, date(2026, 10, 28))
    [report] = kpi_reports(
        CostQueries(paris_store.backend),
        [Budget("s3", Money.of("100", "USD"), Scope(services=frozenset({"AmazonS3"})))],
        _settings(),
        now=FIRST_OF_MONTH,
    )
    data = report.to_json_dict()
    assert (data["status"], data["stale"], data["data_age_hours"]) == ("stale", True, "72.5")


def test_the_freshness_limit_is_configurable(paris_store: CostStore, focus_csv: WriteCsv) -> None:
    _load(paris_store, focus_csv, date(2026, 10, 28))
    settings = _settings()
    lenient = ReportSettings(**{**settings.__dict__, "stale_after": timedelta(hours=96)})
    [report] = kpi_reports(CostQueries(paris_store.backend), [BUDGET], lenient, now=FIRST_OF_MONTH)
    assert report.stale is False and report.status is KpiStatus.OK


def test_an_empty_store_says_so_whatever_the_month(paris_store: CostStore) -> None:
    for month in (None, BillingMonth(2026, 3, PARIS), BillingMonth(2026, 10, PARIS)):
        with pytest.raises(EmptyCostStoreError, match="the cost store is empty"):
            kpi_reports(
                CostQueries(paris_store.backend), [BUDGET], _settings(), now=FIRST_OF_MONTH,
                month=month,
            )  # fmt: skip
