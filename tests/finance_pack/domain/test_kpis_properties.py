"""Property-based tests of the KPI definitions (DESIGN.md section 3), checked against an
independent recomputation: the month a point belongs to is read off its local start time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget
from finance_pack.domain.kpis import KpiReport, compute_kpis
from finance_pack.domain.money import Money
from finance_pack.domain.spend import SpendPoint, SpendSeries

ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham"]
BUDGET = Budget("team", Money.of("10000", "USD"))
amounts = st.integers(-50_000, 500_000).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BillingMonth, SpendSeries]:
    """Hourly points from 3 days before a month to 3 days after; `as_of` anywhere in there."""
    month = BillingMonth(
        draw(st.integers(2023, 2028)), draw(st.integers(1, 12)), draw(st.sampled_from(ZONES))
    )
    first_hour = month.start.replace(minute=0) - timedelta(days=3)
    span_hours = (month.days + 6) * 24
    offsets = draw(st.lists(st.integers(0, span_hours), max_size=40, unique=True))
    points = tuple(
        SpendPoint(first_hour + timedelta(hours=offset), draw(amounts))
        for offset in sorted(offsets)
    )
    as_of = first_hour + timedelta(hours=draw(st.integers(72, span_hours)))
    return month, SpendSeries("USD", points, as_of)


def _report(month: BillingMonth, series: SpendSeries, forecaster: str = "linear") -> KpiReport:
    now = month.end + timedelta(days=40)
    return compute_kpis(series, BUDGET, month, now=now, forecaster=forecaster,
                        data_start=month.start - timedelta(days=10))  # fmt: skip


def _independent_mtd(month: BillingMonth, series: SpendSeries) -> Decimal:
    assert series.as_of is not None
    total = Decimal(0)
    for point in series.points:
        local = point.start.astimezone(month.zone)
        if (local.year, local.month) == (month.year, month.month) and point.start < series.as_of:
            total += point.amount
    return total


@given(scenarios())
def test_mtd_is_the_exact_sum_of_points_in_the_local_month_before_as_of(
    scenario: tuple[BillingMonth, SpendSeries],
) -> None:
    month, series = scenario
    assert _report(month, series).mtd_spend == _independent_mtd(month, series)


@given(scenarios())
def test_linear_forecast_is_burn_times_days_in_month_once_a_day_has_elapsed(
    scenario: tuple[BillingMonth, SpendSeries],
) -> None:
    month, series = scenario
    report = _report(month, series)
    if report.elapsed_days < 1:  # n/a until a whole day has elapsed
        assert (report.daily_burn, report.linear_forecast_month_end) == (None, None)
        assert report.to_json_dict()["daily_burn"] is None
    else:
        assert report.daily_burn == report.mtd_spend / report.elapsed_days
        assert report.linear_forecast_month_end is not None
        burn_times_days = report.daily_burn * month.days
        # Equal up to Decimal's 28 significant digits, far below a cent.
        tolerance = Decimal("1e-24") * max(Decimal(1), abs(burn_times_days))
        assert abs(report.linear_forecast_month_end - burn_times_days) <= tolerance
        assert report.forecast_month_end == report.linear_forecast_month_end


@given(scenarios())
def test_elapsed_days_count_local_wall_clock_days_capped_at_the_month(
    scenario: tuple[BillingMonth, SpendSeries],
) -> None:
    month, series = scenario
    report = _report(month, series)
    assert Decimal(0) <= report.elapsed_days <= month.days
    if series.as_of is not None and series.as_of >= month.end:
        assert report.elapsed_days == month.days
        assert report.linear_forecast_month_end == report.mtd_spend


@given(scenarios(), st.integers(1, 10**7).map(lambda cents: Decimal(cents).scaleb(-2)), st.data())
def test_consumption_is_monotone_in_spend(
    scenario: tuple[BillingMonth, SpendSeries], extra: Decimal, data: st.DataObject
) -> None:
    month, series = scenario
    assert series.as_of is not None
    window_end = min(series.as_of, month.end)
    if window_end <= month.start:
        return
    hours = int((window_end - month.start).total_seconds() // 3600)
    start = month.start + timedelta(hours=data.draw(st.integers(0, max(hours - 1, 0))))
    more = SpendSeries("USD", (*series.points, SpendPoint(start, extra)), series.as_of)
    before, after = _report(month, series), _report(month, more)
    assert after.consumption_actual_pct > before.consumption_actual_pct
    if before.elapsed_days < 1:  # the linear forecast is n/a until a day has elapsed
        return
    assert before.consumption_forecast_pct is not None
    assert after.consumption_forecast_pct is not None
    assert after.consumption_forecast_pct > before.consumption_forecast_pct


@given(scenarios(), st.integers(1, 10**6).map(lambda cents: -Decimal(cents).scaleb(-2)))
def test_a_credit_in_the_month_lowers_mtd_by_exactly_its_amount(
    scenario: tuple[BillingMonth, SpendSeries], credit: Decimal
) -> None:
    month, series = scenario
    assert series.as_of is not None
    if series.as_of <= month.start:
        return
    with_credit = SpendSeries(
        "USD", (*series.points, SpendPoint(month.start, credit)), series.as_of
    )
    assert _report(month, with_credit).mtd_spend == _report(month, series).mtd_spend + credit


@given(st.integers(2023, 2028), st.integers(1, 12), st.sampled_from(ZONES))
def test_day_zero_gives_na_not_a_division_error(year: int, month_number: int, tz: str) -> None:
    month = BillingMonth(year, month_number, tz)
    earlier = SpendPoint(month.start - timedelta(hours=5), Decimal("12.34"))
    report = _report(month, SpendSeries("USD", (earlier,), month.start))
    data = report.to_json_dict()
    assert (data["elapsed_days"], data["daily_burn"], data["linear_forecast_month_end"]) == (
        "0", None, None,
    )  # fmt: skip
    assert data["mtd_spend"] == "0.00"


@settings(max_examples=30, deadline=None)
@given(st.integers(1999, 2101), st.integers(1, 12), st.sampled_from(ZONES))
def test_a_full_month_of_daily_spend_counts_every_local_day_once(
    year: int, month_number: int, tz: str
) -> None:
    month = BillingMonth(year, month_number, tz)
    points = tuple(
        SpendPoint(day_start, Decimal("1.00"), hours=24)
        for day_start in (
            datetime(d.year, d.month, d.day, tzinfo=month.zone).astimezone(UTC)
            for d in month.dates()
        )
    )
    report = _report(month, SpendSeries("USD", points, month.end))
    assert report.mtd_spend == Decimal(month.days)
    assert report.elapsed_days == month.days
    assert report.linear_forecast_month_end == Decimal(month.days)
    seasonal = _report(month, SpendSeries("USD", points, month.end), forecaster="seasonal")
    assert seasonal.forecast_month_end == Decimal(month.days)


def test_a_point_just_before_a_kolkata_month_starts_is_not_counted() -> None:
    month = BillingMonth(2026, 11, "Asia/Kolkata")  # starts 2026-10-31T18:30Z
    inside = SpendPoint(datetime(2026, 10, 31, 18, 30, tzinfo=UTC), Decimal("7.00"))
    outside = SpendPoint(datetime(2026, 10, 31, 18, 0, tzinfo=UTC), Decimal("100.00"))
    series = SpendSeries("USD", (outside, inside), datetime(2026, 11, 1, 18, 30, tzinfo=UTC))
    report = _report(month, series)
    assert (report.mtd_spend, report.elapsed_days) == (Decimal("7.00"), Decimal(1))
