from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance_pack.domain.forecasting import (
    DEFAULT_FORECASTER,
    FORECASTERS,
    ForecastRequest,
    LinearForecaster,
    SeasonalForecaster,
    UnknownForecasterError,
    get_forecaster,
)


def _history(
    first: date, last: date, spend_on: dict[int, Decimal] | None = None
) -> dict[date, Decimal]:
    """100 a weekday, 20 a weekend day, plus `spend_on[day_of_month]` on those days."""
    extra = spend_on or {}
    days = (last - first).days + 1
    history = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        usage = Decimal(20) if day.weekday() >= 5 else Decimal(100)
        history[day] = usage + extra.get(day.day, Decimal(0))
    return history


def _actual(history: dict[date, Decimal], year: int, month: int) -> Decimal:
    return sum((v for d, v in history.items() if (d.year, d.month) == (year, month)), Decimal(0))


def test_registry_names_both_forecasters_and_defaults_to_seasonal() -> None:
    assert set(FORECASTERS) == {"linear", "seasonal"}
    assert DEFAULT_FORECASTER == "seasonal"
    assert all(forecaster.name == name for name, forecaster in FORECASTERS.items())


def test_linear_projects_burn_over_the_month_without_interval() -> None:
    history = {date(2026, 11, day): Decimal("10.01") for day in range(1, 4)}
    forecast = LinearForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 11, 4)))
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (Decimal("300.30"), None, None)


def test_linear_has_no_forecast_on_day_zero() -> None:
    history = {date(2026, 10, 31): Decimal(5)}
    assert (
        LinearForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 11, 1))) is None
    )


def test_request_refuses_a_cutoff_outside_the_month() -> None:
    with pytest.raises(ValueError, match="cutoff"):
        ForecastRequest({}, 2026, 11, date(2026, 12, 2))


def test_seasonal_learns_the_weekday_pattern_and_the_charge_on_the_first() -> None:
    history = _history(date(2026, 5, 1), date(2026, 10, 31), {1: Decimal(3000)})
    history |= _history(date(2026, 11, 1), date(2026, 11, 30), {1: Decimal(3000)})
    actual = _actual(history, 2026, 11)
    request = ForecastRequest(history, 2026, 11, date(2026, 11, 6))
    seasonal = SeasonalForecaster().forecast(request)
    linear = LinearForecaster().forecast(request)
    assert seasonal is not None and linear is not None
    assert abs(seasonal.point - actual) / actual < Decimal("0.005")
    assert abs(linear.point - actual) / actual > Decimal("0.5")


def test_seasonal_interval_brackets_the_point_and_is_rounded_to_the_quantum() -> None:
    history = _history(date(2025, 1, 1), date(2026, 11, 12), {1: Decimal("123.457")})
    request = ForecastRequest(history, 2026, 11, date(2026, 11, 13), quantum=Decimal(1))
    forecast = SeasonalForecaster().forecast(request)
    assert forecast is not None and forecast.low is not None and forecast.high is not None
    assert forecast.low <= forecast.point <= forecast.high
    assert forecast.point == forecast.point.quantize(Decimal(1))


def test_seasonal_never_looks_at_days_from_the_cutoff_on() -> None:
    history = _history(date(2026, 1, 1), date(2026, 11, 9))
    request = ForecastRequest(history, 2026, 11, date(2026, 11, 10))
    leaked = history | {date(2026, 11, 10): Decimal(10**6), date(2026, 11, 20): Decimal(-(10**6))}
    leaked_request = ForecastRequest(leaked, 2026, 11, date(2026, 11, 10))
    assert SeasonalForecaster().forecast(request) == SeasonalForecaster().forecast(leaked_request)


def test_seasonal_forecasts_day_zero_from_earlier_months() -> None:
    history = _history(date(2026, 1, 1), date(2026, 10, 31))
    forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 11, 1)))
    assert forecast is not None and forecast.point > 0


def test_seasonal_without_any_history_has_no_forecast() -> None:
    assert SeasonalForecaster().forecast(ForecastRequest({}, 2026, 11, date(2026, 11, 1))) is None


def test_seasonal_on_a_short_history_says_it_falls_back_and_gives_an_interval() -> None:
    history = _history(date(2026, 11, 1), date(2026, 11, 9))
    forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 11, 10)))
    assert forecast is not None and forecast.low is not None and forecast.high is not None
    assert forecast.fallback is not None and "short history" in forecast.fallback
    assert forecast.low < forecast.point < forecast.high


def test_seasonal_of_a_complete_month_is_its_actual_spend() -> None:
    history = _history(date(2026, 9, 1), date(2026, 11, 30))
    forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 12, 1)))
    actual = _actual(history, 2026, 11)
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (actual, actual, actual)


def test_an_unknown_forecaster_lists_the_known_ones() -> None:
    assert get_forecaster("linear").name == "linear"
    with pytest.raises(UnknownForecasterError) as caught:
        get_forecaster("prophet")
    assert str(caught.value) == "unknown forecaster 'prophet': expected one of linear, seasonal"
    assert caught.value.name == "prophet"


def _flat_november(days: int) -> dict[date, Decimal]:
    return {date(2026, 11, 1) + timedelta(days=i): Decimal(100) for i in range(days)}


def test_a_short_steady_history_widens_only_for_drift_and_unseen_spikes() -> None:
    # 20 days left of 100: remaining 2000. Steady spend has no day-to-day spread, so the
    # half-width is z80 * drift * remaining = 1.2816 * (0.08 * 10 / 30) * 2000 = 68.35,
    # plus 3 % of the remaining (60) each side for spikes and credits not seen yet.
    request = ForecastRequest(_flat_november(10), 2026, 11, date(2026, 11, 11))
    forecast = SeasonalForecaster().forecast(request)
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (
        Decimal("3000.00"),
        Decimal("2871.65"),
        Decimal("3128.35"),
    )
    assert forecast.fallback == (
        "short history (10 days, fewer than two months): no trend, interval from the "
        "day-to-day spread seen so far, widened for level drift; spikes, fees and credits "
        "not extrapolated but allowed for"
    )


def test_fewer_than_three_days_assume_a_wide_day_to_day_spread() -> None:
    # Two days seen: the spread is taken as 50 % a day. 28 days left, remaining 2800:
    # sqrt(0.25/28 + 0.25/2 + (0.08 * 14 / 30)^2) = 0.36786, * 1.2816 * 2800 = 1320.06,
    # plus 84 (3 %) each side.
    request = ForecastRequest(_flat_november(2), 2026, 11, date(2026, 11, 3))
    forecast = SeasonalForecaster().forecast(request)
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (
        Decimal("3000.00"),
        Decimal("1595.94"),
        Decimal("4404.06"),
    )
