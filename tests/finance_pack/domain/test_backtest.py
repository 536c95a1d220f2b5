from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from finance_pack.domain.backtest import backtest, complete_months
from finance_pack.domain.forecasting import Forecast, ForecastRequest, LinearForecaster


def _constant(first: date, last: date, amount: str = "50") -> dict[date, Decimal]:
    return {first + timedelta(days=i): Decimal(amount) for i in range((last - first).days + 1)}


class _SpyForecaster:
    name = "spy"

    def __init__(self) -> None:
        self.seen: list[tuple[date, date]] = []

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        self.seen.append((request.cutoff, max(request.daily)))
        return Forecast(Decimal(0), Decimal(0), Decimal(1), self.name)


def test_complete_months_skip_partial_ones() -> None:
    history = _constant(date(2026, 8, 15), date(2026, 11, 10))
    assert complete_months(history) == [(2026, 9), (2026, 10)]


def test_each_replayed_forecast_sees_only_days_before_it() -> None:
    spy = _SpyForecaster()
    backtest([_constant(date(2026, 9, 1), date(2026, 10, 31))], months=1, forecasters={"spy": spy})
    assert [cutoff for cutoff, _ in spy.seen] == [date(2026, 10, d) for d in range(2, 32)]
    assert all(latest < cutoff for cutoff, latest in spy.seen)


def test_constant_spend_is_forecast_without_error_and_json_matches_the_contract() -> None:
    histories = [
        _constant(date(2026, 2, 1), date(2026, 10, 31)),
        _constant(date(2026, 4, 1), date(2026, 10, 31), "7.5"),
    ]
    results = {r.forecaster: r for r in backtest(histories, months=2)}
    assert results["linear"].mape_5_25 == 0.0
    assert results["seasonal"].mape_5_25 is not None and results["seasonal"].mape_5_25 < 0.01
    data = results["linear"].to_json_dict()
    assert data["forecaster"] == "linear"
    assert data["months"] == 2
    assert data["interval_coverage"] is None
    assert isinstance(data["mape_by_day"], dict) and "1" in data["mape_by_day"]
    assert results["seasonal"].interval_coverage is not None


def test_mape_5_25_is_the_mean_of_days_5_to_25() -> None:
    history = _constant(date(2026, 9, 1), date(2026, 10, 31))
    history[date(2026, 10, 1)] = Decimal(1550)  # linear overshoots early in the month
    (result,) = backtest([history], months=1, forecasters={"linear": LinearForecaster()})
    window = [result.mape_by_day[day] for day in range(5, 26)]
    assert result.mape_5_25 == round(sum(window) / len(window), 2)
    assert result.mape_by_day[1] > result.mape_by_day[30]


def test_seasonal_beats_linear_when_a_fixed_charge_lands_on_the_first() -> None:
    history = _constant(date(2026, 1, 1), date(2026, 10, 31), "100")
    for day in history:
        if day.day == 1:
            history[day] += Decimal(2500)
    results = {r.forecaster: r for r in backtest([history], months=2)}
    linear, seasonal = results["linear"].mape_5_25, results["seasonal"].mape_5_25
    assert linear is not None and seasonal is not None
    assert seasonal < linear / 4


class _TenPercentLow:
    """Forecasts 1395 for every month: 10 % below a 31-day month of 50 a day."""

    name = "low"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        return Forecast(Decimal(1395), None, None, self.name)


def test_bias_is_the_mean_signed_error_over_days_5_to_25_in_percent() -> None:
    history = _constant(date(2026, 9, 1), date(2026, 10, 31))
    (result,) = backtest([history], months=1, forecasters={"low": _TenPercentLow()})
    assert result.bias_5_25 == -10.0
    assert result.mape_5_25 == 10.0
    assert result.to_json_dict()["bias_5_25"] == -10.0
