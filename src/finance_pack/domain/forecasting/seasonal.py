"""The default forecaster: the expected month-end from the daily model, tuned on the scope's own
history, with an 80 % interval from its own past errors.

- With two or more earlier months to replay (`calibration.py`), the level's half-life and the
  trend damping are the ones that forecast those months best, and the interval comes from
  their errors there.
- With less (a new scope or a new store), it falls back and says so (`Forecast.fallback`;
  `short_history.py`): no trend (a slope from a few weeks is mostly noise), a spike, fee or
  credit seen before this month on a day still to come expected with even odds, and an
  interval from the day-to-day spread seen so far, the level's own error, drift over the rest
  of the month, and level shifts, spikes and credits at the rate seen (spikes and credits, if
  none, at what a year shows).

On the 1st, before any day of the month is complete, it forecasts from the earlier months
alone: the same model and interval, with nothing of the month known yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from finance_pack.domain.forecasting.base import Forecast, ForecastRequest
from finance_pack.domain.forecasting.calibration import (
    CALIBRATION_MONTHS,
    Calibration,
    calibrate,
)
from finance_pack.domain.forecasting.cutoff_model import CutoffModel, cutoff_model, month_charges
from finance_pack.domain.forecasting.daily_model import (
    SHIFT_WINDOW_DAYS,
    DailyArray,
    FloatArray,
    MonthSpan,
)
from finance_pack.domain.forecasting.short_history import short_history_estimate

#: Days of history the seasonal forecaster can use; cost stores fetch this much. Each replayed
#: month (`calibration.py`) sees as much history before it as the month forecast now does:
#: two years (`SHIFT_WINDOW_DAYS`, over which rare level shifts are counted), so that its
#: errors are errors of the same forecaster.
HISTORY_DAYS_WANTED = SHIFT_WINDOW_DAYS + 31 * CALIBRATION_MONTHS


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
    estimate = short_history_estimate(history, month, cutoff, charges, month_to_date)
    return _Estimate(
        estimate.remaining,
        estimate.low,
        estimate.high,
        f"short history ({cutoff} days, fewer than two months): no trend; a spike, fee or "
        "credit seen before this month on a day still to come expected with even odds (in "
        "full if seen twice); interval from the day-to-day spread seen so far, widened for the "
        "level's error and drift, for level shifts like those seen, and for spikes and "
        "credits at the rate seen (if none, a few a year)",
    )
