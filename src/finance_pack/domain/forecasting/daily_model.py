"""The seasonal forecaster's model of one scope's daily spend, as the expected value.

    y(t) = weekday_factor(weekday(t)) * (level + slope * t) * (1 + irregular)
           + charge(day_of_month(t)) + noise

- Weekday factors are medians per weekday over the last weeks, so one spike or a charge on
  the 1st does not move them.
- Charges are the fixed amounts that land on the same day of every month (support plans,
  reserved-instance fees on the 1st, a monthly credit): a day of month whose excess (or
  shortfall) against the weekday-adjusted level stands out in at least two of the last three
  months.
- Level and slope come from a weighted (recent days count more, by one of `HALF_LIVES`),
  outlier-clipped regression with the charge days left out: robust, so a spike does not tilt
  them. It starts no earlier than the last lasting level shift (`shifts.py`), so a long memory
  does not average the level before a new service with the level after it.
- `irregular` puts back what that robustness throws away: spikes (a runaway job) and credits
  are part of expected spend, and spend with a 1 % chance of a 3x day has a mean above its
  median. It is the share of spend that lay beyond the clipping bounds over the last year.

The trend is returned apart (`MonthEndParts.trend`) so that the caller can damp it by any
factor without recomputing: the damping is chosen by back-testing on the scope's own history
(see `calibration.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from finance_pack.domain.forecasting.base import ForecastRequest
from finance_pack.domain.forecasting.shifts import last_shift

FloatArray = npt.NDArray[np.float64]

WEEKDAY_WINDOW_WEEKS = 8
#: Half-lives (days) of the level's weights, one fit each; the back-test picks one per scope
#: (`calibration.py`). A short one follows a level shift within days, a long one averages
#: the day-to-day noise of a steady scope away. Each fit looks back `LEVEL_WINDOW_HALF_LIVES`.
HALF_LIVES = np.array([7.0, 14.0, 28.0, 56.0, 112.0])
LEVEL_WINDOW_HALF_LIVES = 4
#: The half-life used without a back-test to choose one (a short history).
DEFAULT_HALF_LIFE = 1
#: The window of the short-history fallback's spread.
LEVEL_WINDOW_DAYS = 56
CHARGE_LOOKBACK_MONTHS = 3
CHARGE_MIN_MONTHS = 2
#: Spikes are rare (a few a year): their expected share is measured over a year of blocks.
IRREGULAR_WINDOW_DAYS = 364
IRREGULAR_BLOCK_DAYS = 28
CLIP_SPREADS = 3.0


@dataclass(frozen=True, slots=True)
class DailyArray:
    """Observed daily spend as floats: `values[i]` is the spend of `origin + i` days."""

    values: FloatArray
    origin: date
    days_of_month: npt.NDArray[np.int64]
    weekday_of: npt.NDArray[np.int64]

    @classmethod
    def from_request(cls, request: ForecastRequest) -> DailyArray | None:
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
class MonthSpan:
    """A month as a slice of a `DailyArray`: index of its 1st and its length in days."""

    start: int
    days: int


@dataclass(frozen=True, slots=True)
class MonthEndParts:
    """Expected spend of the month's days still to come, one entry per half-life in
    `HALF_LIVES`, split so the trend can be damped: remaining = base + damping * trend."""

    base: FloatArray
    trend: FloatArray

    def remaining(self, half_life: int, damping: float) -> float:
        return float(self.base[half_life] + damping * self.trend[half_life])


def month_spans(history: DailyArray, first_day: date, count: int) -> list[MonthSpan]:
    """The `count` months before the one starting on `first_day`, newest first."""
    spans = []
    end = first_day
    for _ in range(count):
        start_day = (end - timedelta(days=1)).replace(day=1)
        spans.append(MonthSpan(history.index(start_day), (end - start_day).days))
        end = start_day
    return spans


def remaining_parts(
    history: DailyArray, month: MonthSpan, cutoff: int, charges: FloatArray, irregular: float
) -> MonthEndParts:
    """Expected spend of the month's days from index `cutoff` to its end."""
    month_end = month.start + month.days
    if cutoff >= month_end or cutoff <= 0:
        return MonthEndParts(np.zeros(HALF_LIVES.size), np.zeros(HALF_LIVES.size))
    factors = weekday_factors(history, cutoff)
    since = level_since(history, cutoff, factors, charges)
    fits = np.array(
        [
            level_and_slope(history, cutoff, factors, charges, half_life, since)
            for half_life in HALF_LIVES
        ]
    )
    steps = np.arange(month_end - cutoff) + 0.5
    ahead = factors[history.weekdays(cutoff, month_end)] * (1.0 + irregular)
    upcoming_charges = float(charges[cutoff - month.start + 1 : month.days + 1].sum())
    return MonthEndParts(
        float(ahead.sum()) * fits[:, 0] + upcoming_charges, float(ahead @ steps) * fits[:, 1]
    )


def weekday_factors(history: DailyArray, cutoff: int) -> FloatArray:
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


def recurring_charges(history: DailyArray, month: MonthSpan) -> FloatArray:
    """Fixed amount by day of month (index 1-31) recurring in earlier months; 0 elsewhere.

    Learnt from the months before `month` only, so every cutoff inside it shares them.
    """
    factors = weekday_factors(history, month.start)
    excesses = np.zeros((CHARGE_LOOKBACK_MONTHS, 32))
    flagged = np.zeros((CHARGE_LOOKBACK_MONTHS, 32), dtype=bool)
    first = history.origin + timedelta(days=month.start)
    for row, span in enumerate(month_spans(history, first, CHARGE_LOOKBACK_MONTHS)):
        if span.start < 0:
            continue
        segment = history.values[span.start : span.start + span.days]
        expected = factors[history.weekdays(span.start, span.start + span.days)]
        usable = expected > 0.05
        if not usable.any():
            continue
        base = median(segment[usable] / expected[usable])
        excess = segment - expected * base
        spread = 1.4826 * median(np.abs(excess - median(excess)))
        excesses[row, 1 : span.days + 1] = excess
        # Credits recur too (a monthly savings credit): both signs count.
        flagged[row, 1 : span.days + 1] = np.abs(excess) > max(4.0 * spread, 0.3 * abs(base))
    recurring = flagged.sum(axis=0) >= CHARGE_MIN_MONTHS
    charges = np.zeros(32)
    for day_of_month in np.flatnonzero(recurring):
        charges[day_of_month] = float(np.median(excesses[flagged[:, day_of_month], day_of_month]))
    return charges


def level_since(history: DailyArray, cutoff: int, factors: FloatArray, charges: FloatArray) -> int:
    """Index from which the level may be fitted: the last lasting level shift before `cutoff`
    (see `shifts.py`), else the start of the longest window."""
    start = max(0, cutoff - int(LEVEL_WINDOW_HALF_LIVES * HALF_LIVES[-1]))
    expected = factors[history.weekdays(start, cutoff)]
    adjusted = history.values[start:cutoff] / np.maximum(expected, 0.05)
    # Fees and credits on their day are not the level: those days count as a typical day.
    fixed = charges[history.days_of_month[start:cutoff]] != 0
    if fixed.any() and not fixed.all():
        adjusted[fixed] = median(adjusted[~fixed])
    shift = last_shift(adjusted)
    return start if shift is None else start + shift


def level_and_slope(
    history: DailyArray,
    cutoff: int,
    factors: FloatArray,
    charges: FloatArray,
    half_life: float,
    since: int = 0,
) -> tuple[float, float]:
    """Weekday-adjusted spend level at `cutoff` and its slope per day, robust to spikes, fitted
    on the days from `since` on at most."""
    start = max(since, cutoff - int(LEVEL_WINDOW_HALF_LIVES * half_life))
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
    centre = median(adjusted)
    spread = 1.4826 * median(np.abs(adjusted - centre))
    clipped = np.clip(adjusted, centre - CLIP_SPREADS * spread, centre + CLIP_SPREADS * spread)
    steps = (index[usable] - cutoff + 0.5).astype(np.float64)
    weights = 0.5 ** (-steps / half_life)
    if clipped.size < 7:
        return float(np.average(clipped, weights=weights)), 0.0
    return _weighted_line(steps, clipped, weights)


def irregular_share(history: DailyArray, cutoff: int, charges: FloatArray) -> float:
    """Expected spend beyond the robust level, as a share of it (spikes minus credits)."""
    above, below = irregular_shares(history, cutoff, charges)
    return above - below


def irregular_shares(history: DailyArray, cutoff: int, charges: FloatArray) -> tuple[float, float]:
    """Spend above and below the clipping bounds, each as a share of the clipped spend.

    Over the last year, in blocks of four weeks (so growth does not pass for spikes): the
    weekday-adjusted spend outside each block's clipping bounds, over the clipped spend.
    """
    blocks = min(IRREGULAR_WINDOW_DAYS, cutoff) // IRREGULAR_BLOCK_DAYS
    if blocks == 0:
        return 0.0, 0.0
    start = cutoff - blocks * IRREGULAR_BLOCK_DAYS
    factors = weekday_factors(history, cutoff)[history.weekdays(start, cutoff)]
    usage = history.values[start:cutoff] - charges[history.days_of_month[start:cutoff]]
    table = (usage / np.maximum(factors, 0.05)).reshape(blocks, IRREGULAR_BLOCK_DAYS).T
    centre = _column_medians(table)
    spread = 1.4826 * _column_medians(np.abs(table - centre))
    clipped = np.clip(table, centre - CLIP_SPREADS * spread, centre + CLIP_SPREADS * spread)
    kept = float(clipped.sum())
    if kept <= 0:
        return 0.0, 0.0
    outside = table - clipped
    return float(outside[outside > 0].sum()) / kept, float(-outside[outside < 0].sum()) / kept


def _weighted_line(x: FloatArray, y: FloatArray, weights: FloatArray) -> tuple[float, float]:
    """Weighted least-squares intercept (at x = 0) and slope of y on x."""
    total = float(weights.sum())
    mean_x = float(weights @ x) / total
    mean_y = float(weights @ y) / total
    spread_x = float(weights @ (x - mean_x) ** 2)
    slope = float(weights @ ((x - mean_x) * (y - mean_y))) / spread_x if spread_x > 0 else 0.0
    return mean_y - slope * mean_x, slope


def median(values: FloatArray) -> float:
    """Median of a 1-D array, without `np.median`'s dispatch overhead (it dominates here)."""
    ordered = np.sort(values)
    size = ordered.size
    return 0.5 * float(ordered[(size - 1) // 2] + ordered[size // 2])


def _column_medians(table: FloatArray) -> FloatArray:
    ordered = np.sort(table, axis=0)
    rows = ordered.shape[0]
    return np.asarray(0.5 * (ordered[(rows - 1) // 2] + ordered[rows // 2]), dtype=np.float64)
