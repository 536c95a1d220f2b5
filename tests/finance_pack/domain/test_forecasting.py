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
    # 20 days left of 100: remaining 2000. Steady spend has no day-to-day spread, so the core
    # is the drift: z80 * (0.04 * 10 / 30) * 2000 = 34.18. Spikes and credits not seen: 3 % of
    # spend, one of two days' spend every 2 / 0.03 = 66.7 days, after 10 days without any
    # 0.03 * 66.7 / 76.7 = 2.61 % of the remaining (52.17). Combined as variances, not added:
    # sqrt(34.18^2 + 52.17^2) = 62.37 each side.
    request = ForecastRequest(_flat_november(10), 2026, 11, date(2026, 11, 11))
    forecast = SeasonalForecaster().forecast(request)
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (
        Decimal("3000.00"),
        Decimal("2937.63"),
        Decimal("3062.37"),
    )
    assert forecast.fallback == (
        "short history (10 days, fewer than two months): no trend; a spike, fee or credit seen "
        "before this month on a day still to come expected with even odds (in full if seen "
        "twice); interval from the day-to-day spread seen so far, widened for the level's "
        "error and drift, for level shifts like those seen, and for spikes and credits at the "
        "rate seen (if none, a few a year)"
    )


def test_fewer_than_three_days_assume_a_wide_day_to_day_spread() -> None:
    # Two days seen: the spread is taken as 50 % a day, and the level is their weighted mean
    # (weights 2^(-0.5/14) and 2^(-1.5/14): variance 0.50031 of a day's). 28 days left,
    # remaining 2800: sqrt(0.25/28 + 0.25 * 0.50031 + (0.04 * 14 / 30)^2) = 0.36654,
    # * 1.2816 * 2800 = 1315.33; with 0.03 * 66.7 / 68.7 * 2800 = 81.55 for unseen spikes and
    # credits: sqrt(1315.33^2 + 81.55^2) = 1317.86 each side.
    request = ForecastRequest(_flat_november(2), 2026, 11, date(2026, 11, 3))
    forecast = SeasonalForecaster().forecast(request)
    assert forecast is not None
    assert (forecast.point, forecast.low, forecast.high) == (
        Decimal("3000.00"),
        Decimal("1682.14"),
        Decimal("4317.86"),
    )


def _november_half_widths(history: dict[date, Decimal], cutoff: date) -> tuple[Decimal, ...]:
    """Each side of November's 80 % interval as a share of the spend still to come."""
    forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2026, 11, cutoff))
    assert forecast is not None and forecast.low is not None and forecast.high is not None
    remaining = forecast.point - _actual(history, 2026, 11)
    return (forecast.high - forecast.point) / remaining, (forecast.point - forecast.low) / remaining


def test_a_short_history_counts_the_fitted_levels_own_error_not_the_windows_mean() -> None:
    # 56 days before 11 November, in weeks alternating 95 and 105 a day: no weekday pattern,
    # a robust day-to-day spread of 1.4826 * 5 / 100 = 7.413 %, no odd day. The level is the
    # end of a line fitted with weights halving every 14 days: its variance is 1 / 11.05 of a
    # day's (the mean of the 56 days would have 1 / 56). 20 days left: relative sd
    # sqrt(0.07413^2 / 20 + 0.07413^2 / 11.05 + (0.04 * 10 / 30)^2) = 0.03082, * 1.2816
    # = 3.950 %; with 0.03 * 66.7 / 122.7 = 1.630 % for spikes and credits not seen:
    # sqrt(3.950^2 + 1.630^2) = 4.273 % of the remaining, each side. (The mean's error
    # instead would give 3.42 %; the drift of 8 % a month added to 3 % linearly, 7.2 %.)
    cutoff = date(2026, 11, 11)
    history = {
        cutoff - timedelta(days=56 - day): Decimal(105 if (day // 7) % 2 else 95)
        for day in range(56)
    }
    for share in _november_half_widths(history, cutoff):
        assert Decimal("0.0425") < share < Decimal("0.0430")


def test_a_level_shift_seen_widens_the_interval_for_another_at_the_rate_seen() -> None:
    # 56 days, weeks alternating -3 % and +3 %, the level 100 for four weeks then 130: one
    # shift of +30 % in 56 days. Around one centre (114.55) the robust spread is
    # 1.4826 * 14.55 / 114.55 = 18.83 % a day. 20 days left: another shift has 20 / 56 chances
    # and, landing on a uniform day, moves a share u of them (E[u^2] = 1/3): variance
    # 20 / 56 * 0.3^2 / 3 = 0.01071. Relative sd sqrt(0.1883^2 / 20 + 0.1883^2 / 11.05
    # + (0.04 * 10 / 30)^2 + 0.01071) = 0.1260, * 1.2816 = 16.15 %; with 1.63 % for unseen
    # spikes: 16.23 % of the remaining each side (9.35 % without the shift's term).
    cutoff = date(2026, 11, 11)
    history = {
        cutoff - timedelta(days=56 - day): Decimal(
            f"{(100 if day < 28 else 130) * (1.03 if (day // 7) % 2 else 0.97):.2f}"
        )
        for day in range(56)
    }
    for share in _november_half_widths(history, cutoff):
        assert Decimal("0.1615") < share < Decimal("0.1630")


def _november_11_after_flat_spend(extra: dict[date, Decimal]) -> tuple[Decimal, ...]:
    """(point, low, high) of November's forecast on the 11th, from 100 a day since 22
    September (40 days before November) plus `extra`."""
    flat = {date(2026, 9, 22) + timedelta(days=i): Decimal(100) for i in range(50)}
    history = {day: amount + extra.get(day, Decimal(0)) for day, amount in flat.items()}
    forecast = SeasonalForecaster().forecast(ForecastRequest(history, 2026, 11, date(2026, 11, 11)))
    assert forecast is not None and forecast.low is not None and forecast.high is not None
    return forecast.point, forecast.low, forecast.high


# 50 days of flat spend seen, 20 days left (remaining 2000 at 100 a day): the core is the
# drift, 1.2816 * 0.04 * 10 / 30 * 2000 = 34.18, and, on a side where no odd day was seen,
# 0.03 * 66.7 / 116.7 * 2000 = 34.29 for spikes or credits not seen: sqrt(34.18^2 + 34.29^2)
# = 48.41.
_FLAT_HALF_WIDTH = Decimal("48.41")


def test_a_credit_seen_once_on_a_day_still_to_come_is_expected_with_even_odds() -> None:
    # A credit of 1000 on 20 October: a monthly credit due on 20 November, or a one-off.
    # Half of it is expected (2000 - 500), and the interval holds both: 2000 and 3000.
    assert _november_11_after_flat_spend({date(2026, 10, 20): Decimal(-1000)}) == (
        Decimal("2500.00"),
        Decimal("2000.00") - _FLAT_HALF_WIDTH,
        Decimal("3000.00") + _FLAT_HALF_WIDTH,
    )


def test_a_charge_seen_on_the_same_day_in_two_months_is_expected_in_full() -> None:
    # A credit of 1000 on 25 September and on 25 October: monthly, due on 25 November too.
    extra = {date(2026, 9, 25): Decimal(-1000), date(2026, 10, 25): Decimal(-1000)}
    assert _november_11_after_flat_spend(extra) == (
        Decimal("2000.00"),
        Decimal("2000.00") - _FLAT_HALF_WIDTH,
        Decimal("2000.00") + _FLAT_HALF_WIDTH,
    )


def test_a_fee_on_the_first_already_in_the_month_to_date_is_not_allowed_for_again() -> None:
    # A fee of 3000 on 1 October and 1 November: monthly, and this month's is paid. Nothing
    # of it is to come: the interval is that of flat spend (3000 fee + 3000 of days).
    extra = {date(2026, 10, 1): Decimal(3000), date(2026, 11, 1): Decimal(3000)}
    assert _november_11_after_flat_spend(extra) == (
        Decimal("6000.00"),
        Decimal("6000.00") - _FLAT_HALF_WIDTH,
        Decimal("6000.00") + _FLAT_HALF_WIDTH,
    )


def test_a_one_off_spike_is_not_extrapolated_but_another_is_allowed_for_at_its_rate() -> None:
    # A spike of 500 on 5 October, not again on 5 November: a one-off. One in 50 days, so
    # 20 * 1 / 50 = 0.4 expected in the 20 days left: none with chance e^-0.4 = 0.6703, one
    # with 0.2681. The high end is the 90th percentile of that count of 500s plus the normal
    # core (sd 0.04 * 10 / 30 * 2000 = 26.67): 500 + 26.67 * Phi^-1((0.9 - 0.6703) / 0.2681)
    # = 500 + 26.67 * 1.0652 = 528.41. No credit seen: the low end is that of flat spend.
    assert _november_11_after_flat_spend({date(2026, 10, 5): Decimal(500)}) == (
        Decimal("3000.00"),
        Decimal("3000.00") - _FLAT_HALF_WIDTH,
        Decimal("3528.41"),
    )
