from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from finance_pack.domain.backtest import BacktestResult, backtest, complete_months
from finance_pack.domain.forecasting import Forecast, ForecastRequest, LinearForecaster


def _constant(first: date, last: date, amount: str = "50") -> dict[date, Decimal]:
    return {first + timedelta(days=i): Decimal(amount) for i in range((last - first).days + 1)}


class _SpyForecaster:
    name = "spy"

    def __init__(self) -> None:
        self.seen: list[tuple[date, date]] = []
        self.earliest: set[date] = set()

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        self.seen.append((request.cutoff, max(request.daily)))
        self.earliest.add(min(request.daily))
        return Forecast(Decimal(0), Decimal(0), Decimal(1), self.name)


def test_complete_months_skip_partial_ones() -> None:
    history = _constant(date(2026, 8, 15), date(2026, 11, 10))
    assert complete_months(history) == [(2026, 9), (2026, 10)]


def test_each_replayed_forecast_sees_only_days_before_it() -> None:
    spy = _SpyForecaster()
    backtest([_constant(date(2026, 9, 1), date(2026, 10, 31))], months=1, forecasters={"spy": spy})
    assert [cutoff for cutoff, _ in spy.seen] == [date(2026, 10, d) for d in range(2, 32)]
    assert all(latest < cutoff for cutoff, latest in spy.seen)


def test_each_replayed_forecast_sees_as_much_history_as_a_live_forecast_fetches() -> None:
    # A live forecast of October 2026 fetches HISTORY_DAYS_WANTED (1,102) days before the
    # 1st: from 25 September 2023. Its replay must not see more (nor less).
    spy = _SpyForecaster()
    history = _constant(date(2022, 1, 1), date(2026, 10, 31))
    backtest([history], months=1, forecasters={"spy": spy})
    assert spy.earliest == {date(2023, 9, 25)}


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


OCTOBER_ACTUAL = Decimal(1550)  # 31 days of 50


# The scripted forecaster errs by these percentages on these elapsed days (0 elsewhere) ...
SCRIPTED_ERRORS = {
    1: Decimal(100) / 3,
    4: Decimal(42),
    5: Decimal(10),
    25: Decimal(-12),
    26: Decimal(42),
}
# ... and gives an 80 % interval on days 1-3 only.
SCRIPTED_INTERVALS = {
    1: (OCTOBER_ACTUAL, OCTOBER_ACTUAL + 1),  # the actual on the low bound: covered
    2: (OCTOBER_ACTUAL - 1, OCTOBER_ACTUAL),  # on the high bound: covered
    3: (OCTOBER_ACTUAL + 1, OCTOBER_ACTUAL + 2),  # above it: missed
}


class _Scripted:
    """Errs by SCRIPTED_ERRORS, has SCRIPTED_INTERVALS, and gives up on day 30."""

    name = "scripted"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        elapsed = request.observed_days
        if elapsed == 30:
            return None
        point = OCTOBER_ACTUAL * (1 + SCRIPTED_ERRORS.get(elapsed, Decimal(0)) / 100)
        low, high = SCRIPTED_INTERVALS.get(elapsed, (None, None))
        return Forecast(point, low, high, self.name)


def test_scores_use_days_5_to_25_inclusive_and_round_to_two_places() -> None:
    history = _constant(date(2026, 9, 1), date(2026, 10, 31))
    (result,) = backtest([history, history], months=1, forecasters={"s": _Scripted()})
    assert result.to_json_dict() == {
        "forecaster": "s",
        "months": 1,
        "series": 2,
        "mape_by_day": {
            str(day): {1: 33.33, 4: 42.0, 5: 10.0, 25: 12.0, 26: 42.0}.get(day, 0.0)
            for day in range(1, 30)
        },
        "mape_5_25": 1.05,  # (10 + 12) / 21 = 1.0476
        "bias_5_25": -0.1,  # (10 - 12) / 21 = -0.0952
        "interval_coverage": 0.6667,  # 2 of 3, the bounds themselves included
    }


def test_json_lists_days_in_order() -> None:
    result = BacktestResult("x", 1, 1, mape_by_day={10: 1.0, 2: 3.0})
    assert list(result.to_json_dict()["mape_by_day"]) == ["2", "10"]  # type: ignore[call-overload]


def test_no_months_asked_replays_nothing() -> None:
    spy = _SpyForecaster()
    (result,) = backtest([_constant(date(2026, 9, 1), date(2026, 10, 31))], 0, {"spy": spy})
    assert spy.seen == []
    assert (result.months, result.series, result.mape_by_day) == (0, 1, {})
    assert (result.mape_5_25, result.bias_5_25, result.interval_coverage) == (None, None, None)


def test_a_month_without_spend_is_not_scored() -> None:
    spy = _SpyForecaster()
    zeros = _constant(date(2026, 10, 1), date(2026, 10, 31), "0")
    (result,) = backtest([zeros], months=1, forecasters={"spy": spy})
    assert spy.seen == [] and result.mape_by_day == {} and result.months == 1


def test_the_last_months_are_replayed_and_counted_once_across_series() -> None:
    spy = _SpyForecaster()
    history = _constant(date(2026, 7, 1), date(2026, 10, 31))
    (result,) = backtest([history, history], months=2, forecasters={"spy": spy})
    months_seen = sorted({(cutoff.year, cutoff.month) for cutoff, _ in spy.seen})
    assert months_seen == [(2026, 9), (2026, 10)]
    assert (result.months, result.series) == (2, 2)


def test_progress_is_told_after_each_month_of_each_history() -> None:
    # Two histories with October and November 2026 complete, the last two months asked: four
    # months replayed in all.
    histories = [
        _constant(date(2026, 10, 1), date(2026, 11, 30)),
        _constant(date(2026, 10, 1), date(2026, 11, 30), "7.5"),
    ]
    told: list[tuple[int, int]] = []
    backtest(
        histories, 2, forecasters={"spy": _SpyForecaster()}, on_month=lambda *at: told.append(at)
    )
    assert told == [(1, 4), (2, 4), (3, 4), (4, 4)]
