"""The default forecaster: the expected month-end from the daily model, tuned on the scope's own
history, with an 80 % interval from its own past errors.

- With two or more earlier months to replay (`calibration.py`), the level's half-life and the
  trend damping are the ones that forecast those months best, and the interval comes from
  their errors there.
- With less (a new scope or a new store), it falls back and says so (`Forecast.fallback`): no
  trend (a slope from a few weeks is mostly noise), and an interval from the day-to-day spread
  seen so far, widened for what so little history cannot show (the level's own uncertainty,
  drift over the rest of the month, and for another spike, fee or credit like those seen).

On the 1st, before any day of the month is complete, it forecasts from the earlier months
alone: the same model and interval, with nothing of the month known yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from finance_pack.domain.forecasting.base import Forecast, ForecastRequest
from finance_pack.domain.forecasting.calibration import (
    CALIBRATION_MONTHS,
    Calibration,
    calibrate,
)
from finance_pack.domain.forecasting.cutoff_model import CutoffModel, cutoff_model, month_charges
from finance_pack.domain.forecasting.daily_model import (
    DEFAULT_HALF_LIFE,
    LEVEL_WINDOW_DAYS,
    SHIFT_WINDOW_DAYS,
    DailyArray,
    FloatArray,
    MonthSpan,
    irregular_shares,
    median,
    remaining_parts,
    weekday_factors,
)

#: Days of history the seasonal forecaster can use; cost stores fetch this much. Each replayed
#: month (`calibration.py`) sees as much history before it as the month forecast now does:
#: two years (`SHIFT_WINDOW_DAYS`, over which rare level shifts are counted), so that its
#: errors are errors of the same forecaster.
HISTORY_DAYS_WANTED = SHIFT_WINDOW_DAYS + 31 * CALIBRATION_MONTHS
#: The model (`MonthEndParts`) of the trend fit's level with its growth damped to nothing: a
#: short history knows where the level is, not where it is going.
LEVEL_WITHOUT_GROWTH = 0
#: Normal quantile of an 80 % two-sided interval.
Z_80 = 1.2816
#: Monthly drift of the level that a short history cannot rule out (growth or decline).
SHORT_HISTORY_DRIFT_PER_MONTH = 0.08
#: Spikes (up) and credits (down) allowed for, as a share of the remaining spend, when a short
#: history showed fewer: cloud bills commonly carry a few per cent of each over a year.
SHORT_HISTORY_UNSEEN_SHARE = 0.03
#: The day-to-day spread assumed when fewer than a few days were seen.
UNKNOWN_DAILY_SPREAD = 0.5


@dataclass(frozen=True, slots=True)
class _Estimate:
    remaining: float  # expected spend of the days still to come
    low: float  # the month-end's 80 % interval
    high: float
    fallback: str | None = None


class SeasonalForecaster:
    name = "seasonal"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        if request.cutoff == request.end_day:
            known = request.rounded(request.month_to_date())
            return Forecast(known, known, known, self.name)
        history = DailyArray.from_request(request)
        if history is None:
            return None
        month_to_date = request.month_to_date()
        month = MonthSpan(history.index(request.first_day), request.days_in_month)
        cutoff = history.index(request.cutoff)
        model = cutoff_model(history, month, cutoff)
        calibration = calibrate(
            history, request.first_day, request.observed_days, model.shifts.one_off
        )
        estimate = (
            _short_history_estimate(
                history, month, cutoff, month_charges(history, month), float(month_to_date)
            )
            if calibration is None
            else _calibrated_estimate(model, float(month_to_date), calibration)
        )
        return Forecast(
            request.rounded(month_to_date + Decimal(repr(estimate.remaining))),
            request.rounded(Decimal(repr(estimate.low))),
            request.rounded(Decimal(repr(estimate.high))),
            self.name,
            estimate.fallback,
        )


def _calibrated_estimate(
    model: CutoffModel, month_to_date: float, calibration: Calibration
) -> _Estimate:
    remaining = calibration.remaining(model.parts)
    low, high = calibration.interval(month_to_date + remaining)
    return _Estimate(remaining, low, high)


def _short_history_estimate(
    history: DailyArray, month: MonthSpan, cutoff: int, charges: FloatArray, month_to_date: float
) -> _Estimate:
    # A month of history cannot tell a spike from a fee that recurs on the same day next
    # month (already in the month-to-date): extrapolate neither...
    remaining = remaining_parts(history, month, cutoff, charges, 0.0).remaining(
        DEFAULT_HALF_LIFE, LEVEL_WITHOUT_GROWTH
    )
    point = month_to_date + remaining
    spread = _short_history_spread(history, cutoff, remaining, month.start + month.days)
    # ... but allow for one more of each spike, fee or credit seen so far, and, since a few
    # weeks rarely show the spike or credit that a year would, for some in any case.
    above, below = (
        max(share, SHORT_HISTORY_UNSEEN_SHARE)
        for share in irregular_shares(history, cutoff, charges)
    )
    return _Estimate(
        remaining,
        point - spread - below * abs(remaining),
        point + spread + above * abs(remaining),
        f"short history ({cutoff} days, fewer than two months): no trend, interval from the "
        "day-to-day spread seen so far, widened for level drift; spikes, fees and credits "
        "not extrapolated but allowed for",
    )


def _short_history_spread(history: DailyArray, cutoff: int, remaining: float, end: int) -> float:
    """Half-width of the 80 % interval of the remaining spend from a short history.

    The remaining spend is a sum of `n` days: its relative variance is the day-to-day part
    (spread^2 / n), plus the error of a level estimated from `m` days (spread^2 / m, shared by
    every remaining day), plus a drift of the level over the rest of the month that a short
    history cannot rule out. A sum's interval, not a sum of per-day intervals.
    """
    days_left = end - cutoff
    if days_left <= 0 or remaining == 0:
        return 0.0
    start = max(0, cutoff - LEVEL_WINDOW_DAYS)
    factors = weekday_factors(history, cutoff)[history.weekdays(start, cutoff)]
    adjusted = history.values[start:cutoff] / np.maximum(factors, 0.05)
    seen = adjusted.size
    centre = median(adjusted) if seen else 0.0
    # Robust: one fee or spike in a few weeks would otherwise dominate the spread.
    robust = 1.4826 * median(np.abs(adjusted - centre)) if seen else 0.0
    daily = robust / abs(centre) if seen >= 3 and centre != 0 else math.nan
    daily = UNKNOWN_DAILY_SPREAD if math.isnan(daily) else daily
    drift = SHORT_HISTORY_DRIFT_PER_MONTH * (days_left / 2) / 30
    relative = math.sqrt(daily**2 / days_left + daily**2 / max(seen, 1) + drift**2)
    return Z_80 * relative * abs(remaining)
