"""The seasonal forecaster tunes itself on the scope's own history.

For the same day of month (and two days either side) in each of the previous (up to 12)
months it replays the model, seeing only the days before that cutoff, and records the relative
month-end error of every model: each level half-life in `HALF_LIVES` with each trend damping
in `DAMPINGS`. The model with the smallest mean absolute error (its worst fifth capped, so one
month of a service ramping up does not decide) is used now; its errors, recent months weighted
more, give the 80 % interval. Calibrated on the scope's own history rather than on an assumed
distribution, so spikes and credits that happened before widen the interval as often as they
happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from finance_pack.domain.forecasting.daily_model import (
    DailyArray,
    FloatArray,
    irregular_share,
    month_spans,
    recurring_charges,
    remaining_parts,
)

#: Trend dampings tried: 0 keeps the level, 1 extends the fitted slope to the month's end.
DAMPINGS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
CALIBRATION_MONTHS = 12
#: The choice of half-life and damping ignores the worst fifth of each one's past errors: a
#: one-off (a new service ramping up) must not pick the model for every ordinary month.
CHOICE_ERROR_QUANTILE = 0.8
#: Older months count less in the interval, halving every this many months: a one-off jump
#: (a service ramping up) a year ago should not keep the interval wide for ever.
INTERVAL_RECENCY_HALF_LIFE_MONTHS = 6.0
CALIBRATION_DAY_SPREAD = 2
#: Below this many past errors (two months' worth) the forecaster falls back (see seasonal.py).
MIN_CALIBRATION_ERRORS = 8
INTERVAL_TAIL = 0.10


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the scope's history says: the level's half-life (an index into `HALF_LIVES`) and
    the trend damping to use, and their past errors."""

    half_life: int
    damping: float
    errors: FloatArray  # (actual - forecast) / |forecast| at comparable cutoffs
    ages: FloatArray  # of each error's month: 0 for last month, 1 for the one before, ...

    def interval(self, point: float) -> tuple[float, float]:
        """The 80 % interval around `point` from the relative errors of earlier months, the
        recent ones weighted more."""
        month_weights = 0.5 ** (np.unique(self.ages) / INTERVAL_RECENCY_HALF_LIFE_MONTHS)
        # The month is the unit of independence (see `tail_level`): its effective count.
        effective_months = float(month_weights.sum() ** 2 / (month_weights**2).sum())
        tail = tail_level(effective_months)
        weights = 0.5 ** (self.ages / INTERVAL_RECENCY_HALF_LIFE_MONTHS)
        low_error, high_error = weighted_quantiles(self.errors, weights, (tail, 1 - tail))
        scale = abs(point)
        return point + scale * low_error, point + scale * high_error


def calibrate(history: DailyArray, first_day: date, observed_days: int) -> Calibration | None:
    """Replay earlier months at the same stage; None when there are too few to learn from."""
    rows: list[FloatArray] = []
    ages: list[float] = []
    for age, span in enumerate(month_spans(history, first_day, CALIBRATION_MONTHS)):
        if span.start < 0:
            break
        actual = float(history.values[span.start : span.start + span.days].sum())
        charges = recurring_charges(history, span)
        irregular = irregular_share(history, span.start + min(observed_days, span.days), charges)
        for days in _comparable_stages(observed_days, span.days):
            cutoff = span.start + days
            known = float(history.values[span.start : cutoff].sum())
            parts = remaining_parts(history, span, cutoff, charges, irregular)
            predicted = known + parts.base[:, None] + DAMPINGS[None, :] * parts.trend[:, None]
            if np.all(predicted != 0):
                rows.append(((actual - predicted) / np.abs(predicted)).ravel())
                ages.append(float(age))
    if len(rows) < MIN_CALIBRATION_ERRORS:
        return None
    errors = np.vstack(rows)
    best = best_model(np.abs(errors))
    half_life, damping = divmod(best, DAMPINGS.size)
    return Calibration(half_life, float(DAMPINGS[damping]), errors[:, best], np.array(ages))


def best_model(absolute_errors: FloatArray) -> int:
    """The column (model) with the smallest mean absolute error, each column's errors capped
    at its own `CHOICE_ERROR_QUANTILE` (a robust criterion)."""
    caps = np.quantile(absolute_errors, CHOICE_ERROR_QUANTILE, axis=0)
    return int(np.argmin(np.minimum(absolute_errors, caps).mean(axis=0)))


def weighted_quantiles(
    values: FloatArray, weights: FloatArray, levels: tuple[float, ...]
) -> list[float]:
    """Quantiles of weighted values, interpolating between the midpoints of each value's
    share of the total weight (with equal weights, `np.quantile`'s Hazen positions)."""
    order = np.argsort(values)
    ordered, ordered_weights = values[order], weights[order]
    positions = (np.cumsum(ordered_weights) - 0.5 * ordered_weights) / ordered_weights.sum()
    return [float(np.interp(level, positions, ordered)) for level in levels]


def _comparable_stages(observed_days: int, days: int) -> list[int]:
    return sorted(
        {
            min(max(observed_days + shift, 0), days - 1)
            for shift in range(-CALIBRATION_DAY_SPREAD, CALIBRATION_DAY_SPREAD + 1)
        }
    )


def tail_level(months: float) -> float:
    """Quantile level for each tail, corrected for calibrating on only `months` months.

    The errors at neighbouring days of one month are nearly the same draw, so the month is the
    unit of independence. From n draws, the order statistics at ranks r and n + 1 - r bracket
    a new draw with probability (n + 1 - 2r) / (n + 1) (the split-conformal argument); asking
    for 80 % gives r = 0.1 (n + 1), i.e. the quantile level 0.1 - 0.4 / n with the usual
    plotting position (r - 0.5) / n. Without the correction 12 months cover only about 74 %.
    """
    return max(0.0, INTERVAL_TAIL - (0.5 - INTERVAL_TAIL) / months)
