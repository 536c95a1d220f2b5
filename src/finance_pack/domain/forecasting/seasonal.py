"""The default forecaster: weekday pattern, recurring day-of-month charges, damped trend.

Model of one scope's daily spend `y(t)`:

    y(t) = weekday_factor(weekday(t)) * (level + slope * t) + charge(day_of_month(t)) + noise

- Weekday factors are medians per weekday over the last weeks, so one spike or a charge on
  the 1st does not move them.
- Charges are the fixed amounts that land on the same day of every month (support plans,
  reserved-instance fees on the 1st): a day of month whose excess over the weekday-adjusted
  level stands out in at least two of the last three months.
- Level and slope come from a weighted (recent days count more), outlier-clipped regression
  over the last weeks with the charge days left out. The slope is damped, because a month of
  noisy days gives a noisy slope and an undamped one overshoots.

The 80 % interval comes from this model's own relative month-end errors on the previous
(up to 12) months, at the same day of month and two days either side: calibrated on the
scope's own history rather than on an assumed distribution, so spikes and credits that
happened before widen it as often as they happen. Its tails are pushed out a little for the
small number of months behind them (see `_tail_level`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from finance_pack.domain.forecasting.base import Forecast, ForecastRequest

FloatArray = npt.NDArray[np.float64]

WEEKDAY_WINDOW_WEEKS = 8
LEVEL_WINDOW_DAYS = 56
LEVEL_HALF_LIFE_DAYS = 14.0
TREND_DAMPING = 0.5
CHARGE_LOOKBACK_MONTHS = 3
CHARGE_MIN_MONTHS = 2
CALIBRATION_MONTHS = 12
CALIBRATION_DAY_SPREAD = 2
MIN_CALIBRATION_ERRORS = 8
INTERVAL_TAIL = 0.10
#: Days of history the seasonal forecaster can use; cost stores may fetch this much.
HISTORY_DAYS_WANTED = 31 * (CALIBRATION_MONTHS + CHARGE_LOOKBACK_MONTHS + 1)


@dataclass(frozen=True, slots=True)
class _DailyArray:
    """Observed daily spend as floats: `values[i]` is the spend of `origin + i` days."""

    values: FloatArray
    origin: date
    days_of_month: npt.NDArray[np.int64]
    weekday_of: npt.NDArray[np.int64]

    @classmethod
    def from_request(cls, request: ForecastRequest) -> _DailyArray | None:
        observed = [day for day in request.daily if day < request.cutoff]
        if not observed:
            return None
        origin = min(observed)
        values = np.zeros((request.cutoff - origin).days, dtype=np.float64)
        for day in observed:
            values[(day - origin).days] = float(request.daily[day])
        days_of_month = np.array(
            [(origin + timedelta(days=offset)).day for offset in range(values.size)],
            dtype=np.int64,
        )
        weekday_of = (origin.weekday() + np.arange(values.size + 31)) % 7
        return cls(values, origin, days_of_month, weekday_of)

    def index(self, day: date) -> int:
        return (day - self.origin).days

    def weekdays(self, start: int, stop: int) -> npt.NDArray[np.int64]:
        """Weekday (Monday = 0) of each index in [start, stop); may run up to 31 days ahead."""
        if start < 0:
            return (self.origin.weekday() + np.arange(start, stop)) % 7
        return self.weekday_of[start:stop]


@dataclass(frozen=True, slots=True)
class _MonthSpan:
    """A month as a slice of a `_DailyArray`: index of its 1st and its length in days."""

    start: int
    days: int


def _month_spans(history: _DailyArray, first_day: date, count: int) -> list[_MonthSpan]:
    """The `count` months before the one starting on `first_day`, newest first."""
    spans = []
    end = first_day
    for _ in range(count):
        start_day = (end - timedelta(days=1)).replace(day=1)
        spans.append(_MonthSpan(history.index(start_day), (end - start_day).days))
        end = start_day
    return spans


class SeasonalForecaster:
    name = "seasonal"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        if request.cutoff == request.end_day:
            known = request.rounded(request.month_to_date())
            return Forecast(known, known, known, self.name)
        history = _DailyArray.from_request(request)
        if history is None:
            return None
        month = _MonthSpan(history.index(request.first_day), request.days_in_month)
        cutoff = history.index(request.cutoff)
        month_to_date = request.month_to_date()
        charges = _recurring_charges(history, month)
        remaining = _predict_remaining(history, month, cutoff, charges)
        point = float(month_to_date) + remaining
        low, high = _interval(history, request.first_day, request.observed_days, point)
        exact_point = month_to_date + Decimal(repr(remaining))
        return Forecast(
            request.rounded(exact_point),
            request.rounded(Decimal(repr(low))),
            request.rounded(Decimal(repr(high))),
            self.name,
        )


def _predict_remaining(
    history: _DailyArray, month: _MonthSpan, cutoff: int, charges: FloatArray
) -> float:
    """Expected spend of the month's days from index `cutoff` to its end."""
    month_end = month.start + month.days
    if cutoff >= month_end or cutoff <= 0:
        return 0.0
    factors = _weekday_factors(history, cutoff)
    level, slope = _level_and_slope(history, cutoff, factors, charges)
    steps = np.arange(month_end - cutoff) + 0.5
    usage = factors[history.weekdays(cutoff, month_end)] * (level + TREND_DAMPING * slope * steps)
    return float(usage.sum() + charges[cutoff - month.start + 1 : month.days + 1].sum())


def _weekday_factors(history: _DailyArray, cutoff: int) -> FloatArray:
    """Spend of each weekday (Monday = 0) relative to the average day."""
    weeks = min(WEEKDAY_WINDOW_WEEKS, cutoff // 7)
    if weeks < 2:
        return np.ones(7)
    start = cutoff - 7 * weeks
    medians = _column_medians(history.values[start:cutoff].reshape(weeks, 7))
    mean = float(medians.mean())
    if mean <= 0:
        return np.ones(7)
    factors = np.empty(7)
    factors[history.weekdays(start, start + 7)] = np.clip(medians / mean, 0.0, None)
    return factors


def _recurring_charges(history: _DailyArray, month: _MonthSpan) -> FloatArray:
    """Fixed amount by day of month (index 1-31) recurring in earlier months; 0 elsewhere.

    Learnt from the months before `month` only, so every cutoff inside it shares them.
    """
    factors = _weekday_factors(history, month.start)
    excesses = np.zeros((CHARGE_LOOKBACK_MONTHS, 32))
    flagged = np.zeros((CHARGE_LOOKBACK_MONTHS, 32), dtype=bool)
    for row, span in enumerate(
        _month_spans(history, _first_of(history, month), CHARGE_LOOKBACK_MONTHS)
    ):
        if span.start < 0:
            continue
        segment = history.values[span.start : span.start + span.days]
        expected = factors[history.weekdays(span.start, span.start + span.days)]
        usable = expected > 0.05
        if not usable.any():
            continue
        base = _median(segment[usable] / expected[usable])
        excess = segment - expected * base
        spread = 1.4826 * _median(np.abs(excess - _median(excess)))
        excesses[row, 1 : span.days + 1] = excess
        flagged[row, 1 : span.days + 1] = excess > max(4.0 * spread, 0.3 * abs(base))
    recurring = flagged.sum(axis=0) >= CHARGE_MIN_MONTHS
    charges = np.zeros(32)
    for day_of_month in np.flatnonzero(recurring):
        charges[day_of_month] = float(np.median(excesses[flagged[:, day_of_month], day_of_month]))
    return charges


def _first_of(history: _DailyArray, month: _MonthSpan) -> date:
    return history.origin + timedelta(days=month.start)


def _level_and_slope(
    history: _DailyArray, cutoff: int, factors: FloatArray, charges: FloatArray
) -> tuple[float, float]:
    """Weekday-adjusted spend level at `cutoff` and its slope per day, robust to spikes."""
    start = max(0, cutoff - LEVEL_WINDOW_DAYS)
    if start >= cutoff:
        return 0.0, 0.0
    index = np.arange(start, cutoff)
    expected = factors[history.weekdays(start, cutoff)]
    usable = (expected > 0.05) & (charges[history.days_of_month[start:cutoff]] == 0)
    if usable.sum() < 3:
        usable = expected > 0.05
    if not usable.any():
        return float(history.values[start:cutoff].mean()), 0.0
    adjusted = history.values[start:cutoff][usable] / expected[usable]
    centre = _median(adjusted)
    spread = 1.4826 * _median(np.abs(adjusted - centre))
    clipped = np.clip(adjusted, centre - 3 * spread, centre + 3 * spread)
    steps = (index[usable] - cutoff + 0.5).astype(np.float64)
    weights = 0.5 ** (-steps / LEVEL_HALF_LIFE_DAYS)
    if clipped.size < 7:
        return float(np.average(clipped, weights=weights)), 0.0
    return _weighted_line(steps, clipped, weights)


def _weighted_line(x: FloatArray, y: FloatArray, weights: FloatArray) -> tuple[float, float]:
    """Weighted least-squares intercept (at x = 0) and slope of y on x."""
    total = float(weights.sum())
    mean_x = float(weights @ x) / total
    mean_y = float(weights @ y) / total
    spread_x = float(weights @ (x - mean_x) ** 2)
    slope = float(weights @ ((x - mean_x) * (y - mean_y))) / spread_x if spread_x > 0 else 0.0
    return mean_y - slope * mean_x, slope


def _median(values: FloatArray) -> float:
    """Median of a 1-D array, without `np.median`'s dispatch overhead (it dominates here)."""
    ordered = np.sort(values)
    size = ordered.size
    return 0.5 * float(ordered[(size - 1) // 2] + ordered[size // 2])


def _column_medians(table: FloatArray) -> FloatArray:
    ordered = np.sort(table, axis=0)
    rows = ordered.shape[0]
    return np.asarray(0.5 * (ordered[(rows - 1) // 2] + ordered[rows // 2]), dtype=np.float64)


def _interval(
    history: _DailyArray, first_day: date, observed_days: int, point: float
) -> tuple[float, float]:
    """The 80 % interval from this model's relative errors on earlier months."""
    errors, months = _past_relative_errors(history, first_day, observed_days)
    if len(errors) < MIN_CALIBRATION_ERRORS:
        return _uncalibrated_interval(point)
    tail = _tail_level(months)
    low_error, high_error = np.quantile(np.asarray(errors), [tail, 1 - tail])
    scale = abs(point)
    return point + scale * float(low_error), point + scale * float(high_error)


def _tail_level(months: int) -> float:
    """Quantile level for each tail, corrected for calibrating on only `months` months.

    The errors at neighbouring days of one month are nearly the same draw, so the month is the
    unit of independence. From n draws, the order statistics at ranks r and n + 1 - r bracket
    a new draw with probability (n + 1 - 2r) / (n + 1) (the split-conformal argument); asking
    for 80 % gives r = 0.1 (n + 1), i.e. the quantile level 0.1 - 0.4 / n with the usual
    plotting position (r - 0.5) / n. Without the correction 12 months cover only about 74 %.
    """
    return max(0.0, INTERVAL_TAIL - (0.5 - INTERVAL_TAIL) / months)


def _past_relative_errors(
    history: _DailyArray, first_day: date, observed_days: int
) -> tuple[list[float], int]:
    """Relative month-end errors at the same (and neighbouring) days of earlier months, and
    how many months they come from."""
    errors: list[float] = []
    months = 0
    for span in _month_spans(history, first_day, CALIBRATION_MONTHS):
        if span.start < 0:
            break
        months += 1
        actual = float(history.values[span.start : span.start + span.days].sum())
        seen = {
            min(max(observed_days + shift, 0), span.days - 1)
            for shift in range(-CALIBRATION_DAY_SPREAD, CALIBRATION_DAY_SPREAD + 1)
        }
        charges = _recurring_charges(history, span)
        for days in sorted(seen):
            cutoff = span.start + days
            known = float(history.values[span.start : cutoff].sum())
            predicted = known + _predict_remaining(history, span, cutoff, charges)
            if predicted != 0:
                errors.append((actual - predicted) / abs(predicted))
    return errors, months


def _uncalibrated_interval(point: float) -> tuple[float, float]:
    """Without enough history to calibrate on, a wide +/- 25 % band around the point."""
    width = 0.25 * abs(point)
    return point - width, point + width
