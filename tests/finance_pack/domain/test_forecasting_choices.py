"""The seasonal forecaster's own choices: the model the back-test picks, the interval's weights,
and where a lasting level shift starts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from finance_pack.domain.forecasting import ForecastRequest, SeasonalForecaster
from finance_pack.domain.forecasting.calibration import Calibration, best_model, calibrate
from finance_pack.domain.forecasting.daily_model import HALF_LIVES, DailyArray
from finance_pack.domain.forecasting.shifts import last_shift


def _noisy_level(days: int, level: float, seed: int) -> np.ndarray:
    return level * np.random.default_rng(seed).lognormal(0.0, 0.05, days)


def test_a_lasting_step_is_found_where_it_starts() -> None:
    spend = _noisy_level(300, 100.0, 1)
    spend[200:] *= 1.5  # a new service from day 200 on
    found = last_shift(spend)
    assert found is not None and abs(found - 200) <= 2


def test_spikes_and_noise_are_not_a_shift() -> None:
    spend = _noisy_level(300, 100.0, 2)
    spend[[40, 120, 250, 297]] *= 4.0  # runaway jobs, one of them three days ago
    assert last_shift(spend) is None


def test_the_last_of_two_shifts_is_the_one_found() -> None:
    spend = _noisy_level(400, 100.0, 3)
    spend[150:] *= 0.6
    spend[330:] *= 1.4
    found = last_shift(spend)
    assert found is not None and abs(found - 330) <= 2


def test_the_choice_ignores_one_month_of_huge_errors() -> None:
    # Model 0 is off by 1 % every time; model 1 is off by 0.2 % except in one month (of 12,
    # five cutoffs each) when a service ramped up and it was off by 40 %.
    steady = np.full(60, 0.01)
    mostly_better = np.full(60, 0.002)
    mostly_better[:5] = 0.40
    assert best_model(np.column_stack([steady, mostly_better])) == 1


def _interval_high(outlier_age: int) -> float:
    ages = np.repeat(np.arange(12.0), 5)
    errors = np.tile([-0.01, -0.005, 0.0, 0.005, 0.01], 12)
    errors[ages == outlier_age] = 0.20
    _low, high = Calibration(1, 1.0, errors, ages).interval(1000.0)
    return high


def test_an_old_months_error_widens_the_interval_less_than_a_recent_ones() -> None:
    assert _interval_high(outlier_age=11) < _interval_high(outlier_age=0)


def test_after_a_step_up_the_forecast_follows_the_new_level() -> None:
    # 440 days at about 100 a day (8 % noise), then about 150 a day from 60 days before the
    # month: a new service. Ten days of the month are known.
    first = date(2025, 11, 1)
    spend = _noisy_level(530, 100.0, 5)
    spend[440:] *= 1.5
    start = first - timedelta(days=500)
    history = {start + timedelta(days=i): Decimal(f"{v:.2f}") for i, v in enumerate(spend)}
    known = {day: amount for day, amount in history.items() if day < date(2025, 11, 11)}
    actual = sum((amount for day, amount in history.items() if day >= first), Decimal(0))
    forecast = SeasonalForecaster().forecast(ForecastRequest(known, 2025, 11, date(2025, 11, 11)))
    assert forecast is not None
    assert abs(forecast.point / actual - 1) < Decimal("0.04")


def test_on_a_steady_noisy_scope_the_back_test_picks_a_long_half_life() -> None:
    # A year and a half at about 100 a day with 8 % noise and no trend: the longer the level's
    # memory, the better; a 7- or 14-day half-life would chase the noise.
    first = date(2025, 11, 1)
    start = first - timedelta(days=550)
    spend = _noisy_level(560, 100.0, 8)
    history = {start + timedelta(days=i): Decimal(f"{v:.2f}") for i, v in enumerate(spend)}
    request = ForecastRequest(history, 2025, 11, date(2025, 11, 11))
    array = DailyArray.from_request(request)
    assert array is not None
    calibration = calibrate(array, first, request.observed_days)
    assert calibration is not None
    assert HALF_LIVES[calibration.half_life] >= 56
