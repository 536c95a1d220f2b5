"""Example tests: hand-computed KPIs and the bad inputs issue 5 lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, Threshold, ThresholdBasis
from finance_pack.domain.forecasting import UnknownForecasterError
from finance_pack.domain.kpis import (
    EmptyCostStoreError,
    FutureMonthError,
    KpiStatus,
    MonthBeforeDataError,
    age_text,
    compute_kpis,
    crossed_thresholds,
)
from finance_pack.domain.money import CurrencyMismatchError, Money
from finance_pack.domain.spend import SpendPoint, SpendSeries

NOVEMBER = BillingMonth(2026, 11, "UTC")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
CONTRACT_FIELDS = {
    "budget", "month", "currency", "as_of", "mtd_spend", "elapsed_days", "daily_burn",
    "forecast_month_end", "forecast_low", "forecast_high", "forecaster", "budget_amount",
    "consumption_forecast_pct", "consumption_actual_pct", "status",
    "linear_forecast_month_end", "thresholds_crossed", "no_spend_in_scope",
}  # fmt: skip


def _budget(amount: str = "3000", currency: str = "USD", *thresholds: Threshold) -> Budget:
    return Budget("platform", Money.of(amount, currency), thresholds=thresholds)


def _daily_series(first: datetime, amounts: list[str], currency: str = "USD") -> SpendSeries:
    points = tuple(
        SpendPoint(first + timedelta(days=i), Decimal(a), hours=24) for i, a in enumerate(amounts)
    )
    return SpendSeries(currency, points, first + timedelta(days=len(amounts)))


def test_kpis_match_a_hand_computation_to_the_cent() -> None:
    # Oct 31 must not count; Nov 1-10: 100.10 a day plus a -20.00 credit on Nov 3.
    amounts = ["999.99"] + ["100.10"] * 10
    amounts[3] = "80.10"
    series = _daily_series(datetime(2026, 10, 31, tzinfo=UTC), amounts)
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, forecaster="linear")
    assert report.mtd_spend == Decimal("981.00")
    assert report.elapsed_days == Decimal(10)
    assert report.daily_burn == Decimal("98.1")
    assert report.linear_forecast_month_end == Decimal("2943.0")
    assert report.forecast_month_end == report.linear_forecast_month_end
    data = report.to_json_dict()
    assert data["mtd_spend"] == "981.00"
    assert data["consumption_forecast_pct"] == "98.10"
    assert data["consumption_actual_pct"] == "32.70"
    assert data["elapsed_days"] == "10"
    assert data["days_in_month"] == "30"  # every figure a decimal string, like elapsed_days
    assert data["month"] == "2026-11"
    assert data["as_of"] == "2026-11-11T00:00:00Z"
    assert data["forecaster"] == "linear"
    assert data.keys() >= CONTRACT_FIELDS


def test_default_report_shows_the_seasonal_forecast_and_still_the_linear_one() -> None:
    series = _daily_series(datetime(2026, 8, 1, tzinfo=UTC), ["50.00"] * (31 + 30 + 31 + 12))
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW)
    assert report.forecaster == "seasonal"
    assert report.forecast_low is not None and report.forecast_high is not None
    assert report.forecast_low <= Decimal("1500.00") <= report.forecast_high
    assert report.linear_forecast_month_end == Decimal("1500.00")
    assert report.to_json_dict()["forecast_month_end"] == "1500.00"


def test_a_forecast_from_a_short_history_says_what_it_fell_back_to() -> None:
    # 30 days of October and 24 of November: fewer than two earlier months to learn from.
    series = _daily_series(datetime(2026, 10, 2, tzinfo=UTC), ["50.00"] * (30 + 24))
    short = compute_kpis(series, _budget(), NOVEMBER, now=NOW)
    assert short.forecaster == "seasonal"
    assert short.forecast_fallback is not None
    assert short.forecast_fallback.startswith("short history (54 days, fewer than two months)")
    assert short.to_json_dict()["forecast_fallback"] == short.forecast_fallback
    # With three earlier months it forecasts by its full method and says nothing.
    series = _daily_series(datetime(2026, 8, 1, tzinfo=UTC), ["50.00"] * (31 + 30 + 31 + 24))
    full = compute_kpis(series, _budget(), NOVEMBER, now=NOW)
    assert full.forecast_fallback is None
    assert full.to_json_dict()["forecast_fallback"] is None


def test_hourly_data_gives_fractional_elapsed_days() -> None:
    start = NOVEMBER.start
    points = tuple(SpendPoint(start + timedelta(hours=h), Decimal("2.40")) for h in range(36))
    series = SpendSeries("USD", points, start + timedelta(hours=36))
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, forecaster="linear")
    assert report.elapsed_days == Decimal("1.5")
    assert report.daily_burn == Decimal("57.6")
    assert report.to_json_dict()["linear_forecast_month_end"] == "1728.00"


def test_future_month_is_refused() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["1"] * 5)
    with pytest.raises(FutureMonthError, match="2026-12 has not started"):
        compute_kpis(series, _budget(), BillingMonth(2026, 12), now=NOW)


def test_month_before_any_data_is_refused() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["1"] * 5)
    with pytest.raises(MonthBeforeDataError, match="no cost data for 2026-10"):
        compute_kpis(series, _budget(), BillingMonth(2026, 10), now=NOW)


def test_month_before_the_stores_data_start_is_refused_even_for_an_empty_scope() -> None:
    series = SpendSeries("USD", (), datetime(2026, 11, 5, tzinfo=UTC))
    with pytest.raises(MonthBeforeDataError):
        compute_kpis(
            series, _budget(), BillingMonth(2026, 9), now=NOW,
            data_start=datetime(2026, 10, 1, tzinfo=UTC),
        )  # fmt: skip


def test_empty_cost_store_is_reported_as_no_data() -> None:
    with pytest.raises(MonthBeforeDataError, match="is empty"):
        compute_kpis(SpendSeries("USD", (), None), _budget(), NOVEMBER, now=NOW)


def test_currency_mismatch_without_fx_table_is_refused() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["1"] * 5, currency="EUR")
    with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
        compute_kpis(series, _budget(), NOVEMBER, now=NOW)


def test_fx_table_converts_spend_into_the_budget_currency() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["10.00"] * 4, currency="EUR")
    rates = {("EUR", "USD"): Decimal("1.1")}
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, fx_rates=rates)
    assert (report.currency, report.mtd_spend) == ("USD", Decimal("44.000"))
    inverse = {("USD", "EUR"): Decimal("0.8")}
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, fx_rates=inverse)
    assert report.mtd_spend == Decimal("50.00")


def test_scope_with_no_spend_is_flagged_not_an_error() -> None:
    series = SpendSeries("USD", (), datetime(2026, 11, 25, 9, tzinfo=UTC))
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW)
    data = report.to_json_dict()
    assert data["no_spend_in_scope"] is True
    assert data["mtd_spend"] == "0.00"
    assert data["daily_burn"] == "0.00"
    assert data["status"] == "ok"


def test_day_zero_reports_na_instead_of_dividing_by_zero() -> None:
    series = _daily_series(datetime(2026, 10, 1, tzinfo=UTC), ["5"] * 31)
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, forecaster="linear")
    data = report.to_json_dict()
    assert data["elapsed_days"] == "0"
    assert data["daily_burn"] is None
    assert data["forecast_month_end"] is None
    assert data["consumption_forecast_pct"] is None


def test_thresholds_drive_status_and_are_listed() -> None:
    thresholds = (Threshold(Decimal(50)), Threshold(Decimal(100), ThresholdBasis.FORECAST))
    budget = _budget("1000", "USD", *thresholds)
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["60.00"] * 10)
    report = compute_kpis(series, budget, NOVEMBER, now=NOW, forecaster="linear")
    assert report.status is KpiStatus.WARNING
    assert crossed_thresholds(report, budget) == [thresholds[0], thresholds[1]]
    assert report.to_json_dict()["thresholds_crossed"] == ["50:actual", "100:forecast"]
    over = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["100.00"] * 10)
    assert compute_kpis(over, budget, NOVEMBER, now=NOW).status is KpiStatus.EXCEEDED


def test_budget_without_thresholds_warns_when_forecast_to_run_over() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["60.00"] * 10)
    report = compute_kpis(series, _budget("1000"), NOVEMBER, now=NOW, forecaster="linear")
    assert (report.thresholds_crossed, report.status) == ((), KpiStatus.WARNING)


def test_money_is_rounded_to_the_currency_minor_unit() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["1001"] * 3, currency="JPY")
    report = compute_kpis(series, _budget("50000", "JPY"), NOVEMBER, now=NOW, forecaster="linear")
    assert report.to_json_dict()["linear_forecast_month_end"] == "30030"


def test_unknown_forecaster_is_refused() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["1"] * 3)
    with pytest.raises(UnknownForecasterError, match="prophet"):
        compute_kpis(series, _budget(), NOVEMBER, now=NOW, forecaster="prophet")


def test_before_the_first_local_day_completes_burn_and_linear_are_na() -> None:
    start = NOVEMBER.start
    points = tuple(SpendPoint(start + timedelta(hours=h), Decimal("1.00")) for h in range(6))
    series = SpendSeries("USD", points, start + timedelta(hours=6))
    now = start + timedelta(hours=6, minutes=30)
    report = compute_kpis(series, _budget(), NOVEMBER, now=now, forecaster="linear")
    data = report.to_json_dict()
    assert (data["mtd_spend"], data["elapsed_days"]) == ("6.00", "0.25")
    assert (data["daily_burn"], data["linear_forecast_month_end"]) == (None, None)
    assert data["forecast_month_end"] is None


def test_the_json_report_spells_every_figure() -> None:
    amounts = ["999.99"] + ["100.10"] * 10
    amounts[3] = "80.10"
    series = _daily_series(datetime(2026, 10, 31, tzinfo=UTC), amounts)
    report = compute_kpis(series, _budget(), NOVEMBER, now=NOW, forecaster="linear")
    assert report.to_json_dict() == {
        "budget": "platform",
        "month": "2026-11",
        "currency": "USD",
        "as_of": "2026-11-11T00:00:00Z",
        "mtd_spend": "981.00",
        "elapsed_days": "10",
        "daily_burn": "98.10",
        "forecast_month_end": "2943.00",
        "forecast_low": None,
        "forecast_high": None,
        "forecaster": "linear",
        "linear_forecast_month_end": "2943.00",
        "budget_amount": "3000.00",
        "consumption_forecast_pct": "98.10",
        "consumption_actual_pct": "32.70",
        "status": "stale",  # data 14 days 9.5 hours old, nothing crossed
        "thresholds_crossed": [],
        "no_spend_in_scope": False,
        "days_in_month": "30",
        "data_age_hours": "345.5",
        "stale": True,
        "final": False,
        "forecast_fallback": None,
    }


def test_data_is_stale_only_beyond_the_limit_and_a_crossed_threshold_outranks_it() -> None:
    # 90 a day to Nov 11: forecast at 90 % of the budget, nothing crossed
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["90"] * 10)
    at_limit = datetime(2026, 11, 12, 12, tzinfo=UTC)  # 36 hours later
    fresh = compute_kpis(series, _budget(), NOVEMBER, now=at_limit, forecaster="linear")
    assert (fresh.stale, fresh.status, fresh.data_age_hours) == (False, KpiStatus.OK, 36)
    late = at_limit + timedelta(minutes=6)
    stale = compute_kpis(series, _budget(), NOVEMBER, now=late, forecaster="linear")
    assert (stale.stale, stale.status, stale.data_age_hours) == (
        True,
        KpiStatus.STALE,
        Decimal("36.1"),
    )
    warned = compute_kpis(
        series,
        _budget("3000", "USD", Threshold(Decimal(30))),
        NOVEMBER,
        now=late,
        forecaster="linear",
    )
    assert (warned.stale, warned.status) == (True, KpiStatus.WARNING)


def test_a_complete_past_month_is_final_its_forecast_its_actual() -> None:
    series = _daily_series(datetime(2026, 10, 1, tzinfo=UTC), ["10"] * 31 + ["5"] * 10)
    budget = _budget("300", "USD", Threshold(Decimal(100), ThresholdBasis.FORECAST))
    report = compute_kpis(series, budget, BillingMonth(2026, 10), now=NOW)
    assert (report.final, report.stale, report.mtd_spend) == (True, False, Decimal(310))
    assert (report.forecast_month_end, report.forecast_low, report.forecast_high) == (
        Decimal(310),
        None,
        None,
    )
    assert report.elapsed_days == 31
    assert report.status is KpiStatus.EXCEEDED  # 103.33 % of actual
    assert report.thresholds_crossed == ()  # a forecast basis no longer counts once ended
    assert crossed_thresholds(report, budget) == []


def test_a_month_in_progress_with_future_now_counts_forecast_thresholds() -> None:
    series = _daily_series(datetime(2026, 11, 1, tzinfo=UTC), ["100"] * 10)
    budget = _budget("3000", "USD", Threshold(Decimal(100), ThresholdBasis.FORECAST))
    report = compute_kpis(series, budget, NOVEMBER, now=NOW, forecaster="linear")
    assert report.consumption_forecast_pct == Decimal(100)
    assert report.thresholds_crossed == (Threshold(Decimal(100), ThresholdBasis.FORECAST),)
    assert crossed_thresholds(report, budget) == [Threshold(Decimal(100), ThresholdBasis.FORECAST)]
    assert report.status is KpiStatus.WARNING


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(minutes=59), "0h"),
        (timedelta(hours=5, minutes=59), "5h"),
        (timedelta(hours=47, minutes=59), "47h"),
        (timedelta(hours=48), "2d 0h"),
        (timedelta(hours=61), "2d 13h"),
        (timedelta(hours=-3), "0h"),
    ],
)
def test_age_text_is_whole_hours_then_days_and_hours_from_two_days(
    age: timedelta, text: str
) -> None:
    assert age_text(age) == text


def test_the_refusals_say_what_to_do() -> None:
    december = BillingMonth(2026, 12)
    future = FutureMonthError(december, datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    assert future.message == (
        "month 2026-12 has not started yet (it starts 2026-12-01T00:00:00+00:00, "
        "now is 2026-11-25T10:30:00+00:00)"
    )
    assert future.hint == "pick the current or an earlier month with --month YYYY-MM"
    assert future.month == december
    before = MonthBeforeDataError(NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC))
    assert (
        before.message
        == "no cost data for 2026-11: the cost store starts 2026-12-01T00:00:00+00:00"
    )
    assert before.hint == "ingest that month's cost data first (brctl finance ingest ...)"
    assert (before.month, before.data_start) == (NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC))
    empty = EmptyCostStoreError(NOVEMBER)
    assert str(empty) == (
        "the cost store is empty: no cost data has been ingested yet\n"
        "  hint: ingest cost data first (brctl finance ingest focus|cur|aws-ce ...)"
    )
    assert empty.args == ("the cost store is empty: no cost data has been ingested yet",)
    assert (empty.month, empty.data_start) == (NOVEMBER, None)


def test_a_month_before_an_empty_store_says_the_store_is_empty() -> None:
    error = MonthBeforeDataError(NOVEMBER, None)
    assert error.message == "no cost data for 2026-11: the cost store is empty"
