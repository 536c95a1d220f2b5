"""The seasonal forecaster tunes itself on the scope's own history.

For the same day of month (and two days either side) in each of the previous (up to 12)
months it replays the model, seeing only the days before that cutoff, and records the month-end
forecast of every model: each level half-life in `HALF_LIVES` with each growth damping in
`DAMPINGS`, and with no trend at all (`LevelFit.flat`). Each model is scored by its mean
absolute relative error, its worst fifth capped (so one month of a service ramping up does not
decide). Then, as with the one-standard-error
rule, the simplest model that is about as good is preferred: the longest half-life whose
score is within `PARSIMONY_TOLERANCE` of the best, with its best few models averaged. A
replay of a dozen months cannot tell near-equal models apart, and picking the luckiest of
them chases noise. The errors of that forecast in the replayed months, recent months weighted
more, give the 80 % interval. Calibrated on the scope's own history rather than on an assumed
distribution, so spikes and credits that happened before widen the interval as often as they
happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from finance_pack.domain.forecasting.cutoff_model import cutoff_model
from finance_pack.domain.forecasting.daily_model import (
    HALF_LIVES,
    MODELS_PER_HALF_LIFE,
    DailyArray,
    FloatArray,
    MonthEndParts,
    month_spans,
)

CALIBRATION_MONTHS = 12
#: The score of a model ignores the worst fifth of its past errors: a one-off (a new service
#: ramping up) must not pick the model for every ordinary month.
CHOICE_ERROR_QUANTILE = 0.8
#: A longer memory is preferred unless a shorter one scores better by more than this share.
PARSIMONY_TOLERANCE = 0.10
#: How many of the chosen half-life's best models (dampings, or no trend) are averaged.
MODELS_AVERAGED = 3
#: Older months count less in the interval, halving every this many months: a one-off jump
#: (a service ramping up) a year ago should not keep the interval wide for ever.
INTERVAL_RECENCY_HALF_LIFE_MONTHS = 6.0
CALIBRATION_DAY_SPREAD = 2
#: Below this many past errors (two months' worth) the forecaster falls back (see seasonal.py).
MIN_CALIBRATION_ERRORS = 8
#: A one-off shift disturbs the month it falls in and, ramping up, the days either side.
ONE_OFF_MARGIN_DAYS = 14
INTERVAL_TAIL = 0.10


@dataclass(frozen=True, slots=True)
class ReplayErrors:
    """The month-end forecasts of every model (a column each: half-life major, then the models
    of `MonthEndParts`) at comparable cutoffs of earlier months (a row each), the actual
    month-end of each row, and the age of its month (0 for last month, 1 for the one before)."""

    predicted: FloatArray
    actual: FloatArray
    ages: FloatArray

    @property
    def errors(self) -> FloatArray:
        """(actual - forecast) / |forecast| of every row and model."""
        return (self.actual[:, None] - self.predicted) / np.abs(self.predicted)


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the scope's history says: how much each model counts in the forecast (`weights`,
    over the models of `ReplayErrors`) and that forecast's past relative errors."""

    weights: FloatArray
    errors: FloatArray  # (actual - forecast) / |forecast| at comparable cutoffs
    ages: FloatArray  # of each error's month: 0 for last month, 1 for the one before, ...

    def remaining(self, parts: MonthEndParts) -> float:
        """Expected spend of the days still to come, by the chosen models."""
        return float(self.weights @ parts.table.ravel())

    def interval(self, point: float) -> tuple[float, float]:
        """The 80 % interval around `point` from the relative errors of earlier months, the
        recent ones weighted more.

        The errors at neighbouring days of one month are nearly the same draw, so the month
        is the unit: each month's mean error is one draw (see `tail_level`).
        """
        months = np.unique(self.ages)
        per_month = np.array([self.errors[self.ages == age].mean() for age in months])
        weights = 0.5 ** (months / INTERVAL_RECENCY_HALF_LIFE_MONTHS)
        effective_months = float(weights.sum() ** 2 / (weights**2).sum())
        tail = tail_level(effective_months)
        low_error, high_error = weighted_quantiles(per_month, weights, (tail, 1 - tail))
        scale = abs(point)
        return point + scale * low_error, point + scale * high_error


def replay_errors(
    history: DailyArray, first_day: date, observed_days: int, one_off: int | None = None
) -> ReplayErrors | None:
    """Replay earlier months at the same stage; None when there are too few to learn from.

    The months around a `one_off` level shift (`ShiftHistory`) are left out when enough
    others remain: a service's ramp-up month would otherwise pick the model and widen the
    interval of every ordinary month after it.
    """
    predicted: list[FloatArray] = []
    actuals: list[float] = []
    ages: list[float] = []
    around_one_off: list[bool] = []
    for age, span in enumerate(month_spans(history, first_day, CALIBRATION_MONTHS)):
        if span.start < 0:
            break
        margin = ONE_OFF_MARGIN_DAYS
        near = one_off is not None and (
            span.start - margin <= one_off < span.start + span.days + margin
        )
        actual = float(history.values[span.start : span.start + span.days].sum())
        for days in _comparable_stages(observed_days, span.days):
            cutoff = span.start + days
            known = float(history.values[span.start : cutoff].sum())
            parts = cutoff_model(history, span, cutoff).parts
            forecasts = (known + parts.table).ravel()
            if np.all(forecasts != 0):
                predicted.append(forecasts)
                actuals.append(actual)
                ages.append(float(age))
                around_one_off.append(near)
    kept = ~np.array(around_one_off, dtype=bool)
    if kept.sum() < MIN_CALIBRATION_ERRORS:
        kept[:] = True
    if kept.sum() < MIN_CALIBRATION_ERRORS:
        return None
    return ReplayErrors(np.vstack(predicted)[kept], np.array(actuals)[kept], np.array(ages)[kept])


def calibrate(
    history: DailyArray, first_day: date, observed_days: int, one_off: int | None = None
) -> Calibration | None:
    """The models that replay the scope's earlier months best (`replay_errors`, `choose`);
    None when there are too few months to learn from."""
    replayed = replay_errors(history, first_day, observed_days, one_off)
    if replayed is None:
        return None
    weights = choose(model_scores(np.abs(replayed.errors)))
    forecast = replayed.predicted @ weights
    errors = (replayed.actual - forecast) / np.abs(forecast)
    return Calibration(weights, errors, replayed.ages)


def model_scores(absolute_errors: FloatArray) -> FloatArray:
    """Each column's (model's) mean absolute error, its errors capped at its own
    `CHOICE_ERROR_QUANTILE` (a robust criterion)."""
    caps = np.quantile(absolute_errors, CHOICE_ERROR_QUANTILE, axis=0)
    return np.asarray(np.minimum(absolute_errors, caps).mean(axis=0), dtype=np.float64)


def choose(scores: FloatArray) -> FloatArray:
    """Weights over the models scored `scores` (half-life major, model minor): the longest
    half-life scoring within `PARSIMONY_TOLERANCE` of the best model, with its
    `MODELS_AVERAGED` best models counting equally."""
    table = scores.reshape(HALF_LIVES.size, MODELS_PER_HALF_LIFE)
    acceptable = table.min(axis=1) <= table.min() * (1 + PARSIMONY_TOLERANCE)
    half_life = int(np.flatnonzero(acceptable)[-1])
    models = np.argsort(table[half_life], kind="stable")[:MODELS_AVERAGED]
    weights = np.zeros_like(table)
    weights[half_life, models] = 1.0 / models.size
    return weights.ravel()


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

    From n draws, the order statistics at ranks r and n + 1 - r bracket a new draw with
    probability (n + 1 - 2r) / (n + 1) (the split-conformal argument); asking for 80 % gives
    r = 0.1 (n + 1), i.e. the quantile level 0.1 - 0.4 / n with the usual plotting position
    (r - 0.5) / n. Without the correction 12 months cover only about 74 %.
    """
    return max(0.0, INTERVAL_TAIL - (0.5 - INTERVAL_TAIL) / months)
