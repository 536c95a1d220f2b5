"""The seasonal forecaster's own choices: the model the back-test picks, the interval's weights,
how growth compounds, and what level shifts say (where the last one starts, how the scope's
level keeps jumping, and that a single step is a new regime)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from finance_pack.domain.forecasting import ForecastRequest, SeasonalForecaster
from finance_pack.domain.forecasting.calibration import (
    Calibration,
    calibrate,
    choose,
    model_scores,
)
from finance_pack.domain.forecasting.daily_model import (
    HALF_LIVES,
    MODELS_PER_HALF_LIFE,
    DailyArray,
    level_and_growth,
    level_since,
    shift_history,
    weekday_factors,
)
from finance_pack.domain.forecasting.shifts import all_shifts, last_shift


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
    scores = model_scores(np.column_stack([steady, mostly_better]))
    assert scores[1] < scores[0]


def _scores(best_by_half_life: list[float]) -> np.ndarray:
    """A score table: each half-life's best model (damping index 1) scores as given, the
    others worse in steps (index 3 next best, then 0, the flat level 5, then 4, 2)."""
    table = np.empty((HALF_LIVES.size, MODELS_PER_HALF_LIFE))
    for row, best in enumerate(best_by_half_life):
        table[row] = [best + 1.0, best, best + 2.0, best + 0.5, best + 1.5, best + 1.2]
    return table.ravel()


def test_the_longest_memory_about_as_good_as_the_best_is_chosen() -> None:
    # Half-life 28 days (row 2) scores best, 10.0; 112 days (row 4) scores 10.8, within 10 %;
    # 224 and 448 days are clearly worse. So 112 days, its three best models averaged.
    weights = choose(_scores([14.0, 12.0, 10.0, 10.5, 10.8, 11.5, 13.0])).reshape(7, 6)
    expected = np.zeros((7, 6))
    expected[4, [1, 3, 0]] = 1 / 3
    assert np.allclose(weights, expected)


def test_a_clearly_better_short_memory_is_kept() -> None:
    weights = choose(_scores([14.0, 10.0, 11.2, 12.0, 13.0, 14.0, 15.0])).reshape(7, 6)
    assert weights[1].sum() == 1.0 and weights[1, 1] == weights[1, 3] == weights[1, 0]


def _interval_high(outlier_age: int) -> float:
    ages = np.repeat(np.arange(12.0), 5)
    errors = np.tile([-0.01, -0.005, 0.0, 0.005, 0.01], 12)
    errors[ages == outlier_age] = 0.20
    _low, high = Calibration(np.array([1.0]), errors, ages).interval(1000.0)
    return high


def test_an_old_months_error_widens_the_interval_less_than_a_recent_ones() -> None:
    assert _interval_high(outlier_age=11) < _interval_high(outlier_age=0)


def test_a_month_seen_at_five_neighbouring_days_counts_once() -> None:
    # Counted as five draws, the month 20 % over would hold the top 8 % of the weight and
    # be the 80 % interval's high end (1200); as one draw of twelve it is only part of it.
    assert 1000.0 < _interval_high(outlier_age=5) < 1150.0


def test_compounding_growth_is_fitted_as_compounding() -> None:
    # 600 days growing 4 % a month, without noise: a straight line through 448 days of it
    # would lie below the latest days; the fit must find the level and the rate exactly.
    first = date(2025, 11, 1)
    start = first - timedelta(days=600)
    rate = np.log(1.04) / 30.4
    spend = 100.0 * np.exp(rate * np.arange(610))
    history = {start + timedelta(days=i): Decimal(f"{v:.4f}") for i, v in enumerate(spend)}
    array = DailyArray.from_request(ForecastRequest(history, 2025, 11, date(2025, 11, 11)))
    assert array is not None
    cutoff = 610
    fit = level_and_growth(array, cutoff, np.ones(7), np.zeros(32), 112.0)
    assert abs(fit.level / (100.0 * np.exp(rate * (cutoff - 0.5))) - 1) < 1e-4
    assert abs(fit.growth / rate - 1) < 1e-3


def test_every_memory_also_offers_a_level_without_trend() -> None:
    # Spend rising 1 % a day, without noise. A 7-day half-life looks back 28 days: its trend
    # fit finds the level at the cutoff (the end of the rise); its flat level is the plain
    # weighted mean of those 28 days, weights halving every 7 days back.
    days = np.arange(600)
    spend = 100.0 * np.exp(0.01 * days)
    array = _array(spend)
    fit = level_and_growth(array, 600, np.ones(7), np.zeros(32), 7.0)
    steps = np.arange(-28, 0) + 0.5
    weights = 0.5 ** (-steps / 7.0)
    expected_flat = float(np.average(100.0 * np.exp(0.01 * days[-28:]), weights=weights))
    assert abs(fit.flat / expected_flat - 1) < 1e-6
    assert abs(fit.level / (100.0 * np.exp(0.01 * 599.5)) - 1) < 1e-4


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
    chosen = calibration.weights.reshape(HALF_LIVES.size, MODELS_PER_HALF_LIFE).sum(axis=1) > 0
    assert HALF_LIVES[chosen].min() >= 56


def _stepped(days: int, steps: dict[int, float], seed: int) -> np.ndarray:
    spend = _noisy_level(days, 100.0, seed)
    for day, factor in steps.items():
        spend[day:] *= factor
    return spend


def test_every_shift_is_found_with_its_size() -> None:
    spend = _stepped(600, {100: 1.25, 250: 0.8, 400: 1.5}, seed=4)
    found = all_shifts(spend)
    assert len(found) == 3
    assert all(
        abs(index - day) <= 2 for (index, _), day in zip(found, (400, 250, 100), strict=True)
    )
    # Each size from the medians of 28 days either side of 5 % noise: a few points off.
    assert np.allclose([size for _, size in found], [0.5, -0.2, 0.25], atol=0.05)


def _history(spend: np.ndarray, first: date) -> dict[date, Decimal]:
    start = first - timedelta(days=spend.size)
    return {start + timedelta(days=i): Decimal(f"{v:.2f}") for i, v in enumerate(spend)}


def test_a_scope_whose_level_keeps_jumping_up_is_expected_to_jump_again() -> None:
    # Three steps of +25 % in 600 days: 0.75 / 600 = 0.00125 a day expected from shifts.
    first = date(2025, 11, 1)
    spend = _stepped(600, {100: 1.25, 250: 1.25, 400: 1.25}, seed=5)
    array = DailyArray.from_request(ForecastRequest(_history(spend, first), 2025, 11, first))
    assert array is not None
    shifts = shift_history(array, 600, np.zeros(32))
    assert shifts.one_off is None
    assert abs(shifts.drift - 0.75 / 600) < 0.0002


def test_the_forecast_allows_for_the_next_jump() -> None:
    # The same last 200 days (about 195 a day), after three steps up or after none. With a
    # history of jumping, 5 days in, the 26 days to come are expected 0.00125 * (13 + 5)
    # = 2.25 % higher (the mean day is 13 days ahead, and a jump in the last 5 days cannot be
    # seen yet): the month 26 / 31 of that, 1.9 %, higher.
    first = date(2025, 11, 1)
    cutoff = first + timedelta(days=5)
    jumping = _stepped(605, {100: 1.25, 250: 1.25, 400: 1.25}, seed=6)
    flat = _stepped(605, {}, seed=6) * 1.25**3
    jumping[405:] = flat[405:]
    forecasts = []
    for spend in (jumping, flat):
        history = _history(spend[:600], first) | {
            first + timedelta(days=i): Decimal(f"{spend[600 + i]:.2f}") for i in range(5)
        }
        forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2025, 11, cutoff))
        assert forecast is not None
        forecasts.append(forecast.point)
    ratio = forecasts[0] / forecasts[1]
    assert Decimal("1.015") < ratio < Decimal("1.025")


def test_a_single_step_is_a_new_regime_not_a_habit() -> None:
    first = date(2025, 11, 1)
    spend = _stepped(600, {400: 1.5}, seed=7)
    array = DailyArray.from_request(ForecastRequest(_history(spend, first), 2025, 11, first))
    assert array is not None
    shifts = shift_history(array, 600, np.zeros(32))
    assert shifts.drift == 0.0
    assert shifts.one_off is not None and abs(shifts.one_off - 400) <= 2


def test_a_ramp_up_months_ago_does_not_widen_todays_interval() -> None:
    # A service ramping up over two weeks, four months before: the month it ramped in was
    # forecast 20-40 % low. Without it the interval is that of the steady scope.
    first = date(2025, 11, 1)
    cutoff = first + timedelta(days=10)
    steady = _noisy_level(610, 100.0, 8)
    ramped = steady.copy()
    ramped[480:] *= 1.0 + 0.5 * np.minimum(1.0, (np.arange(130) + 1) / 14)
    widths = []
    for spend in (steady, ramped):
        history = _history(spend[:600], first) | {
            first + timedelta(days=i): Decimal(f"{spend[600 + i]:.2f}") for i in range(10)
        }
        forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2025, 11, cutoff))
        assert forecast is not None and forecast.low is not None and forecast.high is not None
        widths.append((forecast.high - forecast.low) / forecast.point)
    assert widths[1] < Decimal("1.5") * widths[0]


def _ramped(days: int, ramp_at: int, seed: int, noise: float = 0.05) -> np.ndarray:
    """About 100 a day, then a service ramping up to +50 % over 14 days from `ramp_at`."""
    spend = 100.0 * np.random.default_rng(seed).lognormal(0.0, noise, days)
    spend[ramp_at:] *= 1.0 + 0.5 * np.minimum(1.0, (np.arange(days - ramp_at) + 1) / 14)
    return spend


def _array(spend: np.ndarray) -> DailyArray:
    first = date(2025, 11, 1)
    array = DailyArray.from_request(ForecastRequest(_history(spend, first), 2025, 11, first))
    assert array is not None
    return array


def test_a_ramp_inside_the_weekday_window_is_not_a_weekday_pattern() -> None:
    # No weekday pattern at all; a service ramped up 30 days ago, inside the 8 weeks the
    # weekday factors look at. Medians of raw spend per weekday straddle the step unevenly
    # (one weekday gets 5 days after it, another 4) and came out 6-9 % off; relative to each
    # week's own level, every weekday is within 4 % of the average day.
    array = _array(_ramped(610, 580, seed=2))
    assert np.all(np.abs(weekday_factors(array, 610) - 1.0) < 0.04)


def test_the_level_is_fitted_from_the_top_of_a_ramp() -> None:
    # A 14-day ramp from day 500: the shift is placed half-way up (about day 506), and, with
    # two more weeks known, the level is fitted from the top of the ramp on (day 513).
    spend = _ramped(560, 500, seed=11, noise=0.02)
    array = _array(spend)
    assert level_since(array, 560, weekday_factors(array, 560), np.zeros(32)) >= 512


def test_a_shift_too_recent_to_see_past_its_ramp_is_fitted_from_its_placement() -> None:
    spend = _ramped(525, 500, seed=11, noise=0.02)
    array = _array(spend)
    assert 503 <= level_since(array, 525, weekday_factors(array, 525), np.zeros(32)) <= 508
