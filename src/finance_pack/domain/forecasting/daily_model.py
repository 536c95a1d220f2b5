"""The seasonal forecaster's model of one scope's daily spend, as the expected value.

    y(t) = weekday_factor(weekday(t)) * level * exp(growth * t) * (1 + irregular)
           * (1 + shift_drift * t) + charge(day_of_month(t)) + noise

- Weekday factors are medians per weekday over the last weeks, so one spike or a charge on
  the 1st does not move them.
- Charges are the fixed amounts that land on the same day of every month (support plans,
  reserved-instance fees on the 1st, a monthly credit): a day of month whose excess (or
  shortfall) against the weekday-adjusted level stands out in at least two of the last three
  months.
- Level and growth come from a weighted (recent days count more, by one of `HALF_LIVES`),
  outlier-clipped fit with the charge days left out: robust, so a spike does not tilt them.
  Growth compounds (spend grows by a share, not an amount). The fit starts no earlier than
  the last lasting level shift (`shifts.py`), so a long memory does not average the level
  before a new service with the level after it.
- `irregular` puts back what that robustness throws away: spikes (a runaway job) and credits
  are part of expected spend, and spend with a 1 % chance of a 3x day has a mean above its
  median. It is the share of spend that lay beyond the clipping bounds over the last year.
- `shift_drift` puts back what fitting from the last shift on throws away: a scope whose
  level keeps jumping (mostly up, as services are added) will jump again (`ShiftHistory`).

Every half-life is fitted and the growth damped by each of `DAMPINGS` (`MonthEndParts`), so
that the caller can choose among them without recomputing: the choice is made by back-testing
on the scope's own history (see `calibration.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from finance_pack.domain.forecasting.base import ForecastRequest
from finance_pack.domain.forecasting.shifts import MIN_AFTER_DAYS, all_shifts, last_shift

FloatArray = npt.NDArray[np.float64]

WEEKDAY_WINDOW_WEEKS = 8
#: Half-lives (days) of the level's weights, one fit each; the back-test picks one per scope
#: (`calibration.py`). A short one follows a level shift within days, a long one averages
#: the day-to-day noise of a steady scope away. Each fit looks back `LEVEL_WINDOW_HALF_LIVES`.
HALF_LIVES = np.array([7.0, 14.0, 28.0, 56.0, 112.0, 224.0, 448.0])
LEVEL_WINDOW_HALF_LIVES = 4
#: The half-life used without a back-test to choose one (a short history).
DEFAULT_HALF_LIFE = 1
#: Growth dampings tried: 0 keeps the level, 1 compounds the fitted growth to the month's end.
DAMPINGS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
#: Models per half-life: the trend fit with each damping, and the flat level (`LevelFit`),
#: which is the last.
MODELS_PER_HALF_LIFE = DAMPINGS.size + 1
#: The window of the short-history fallback's spread.
LEVEL_WINDOW_DAYS = 56
CHARGE_LOOKBACK_MONTHS = 3
CHARGE_MIN_MONTHS = 2
#: Spikes are rare (a few a year): their expected share is measured over a year of blocks.
IRREGULAR_WINDOW_DAYS = 364
IRREGULAR_BLOCK_DAYS = 28
CLIP_SPREADS = 3.0
#: Level shifts are rarer still: their expected drift is measured over up to two years, and
#: only from at least half a year of history.
SHIFT_WINDOW_DAYS = 730
SHIFT_MIN_DAYS = 182
#: The rest of a ramp after a shift's placement (`level_since`), and the days that must be
#: known beyond it before it is skipped.
RAMP_DAYS = 7
RAMP_FIT_AFTER_DAYS = 14
#: A single shift is a new regime (a service added), not yet a habit of jumping.
MIN_RECURRING_SHIFTS = 2


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
    """Expected spend of the month's days still to come: `table[h, m]` for the level's
    half-life `HALF_LIVES[h]` and model `m`: the fitted level with its growth damped by
    `DAMPINGS[m]`, or, in the last column, the flat level (`LevelFit.flat`)."""

    table: FloatArray

    def remaining(self, half_life: int, model: int) -> float:
        return float(self.table[half_life, model])


@dataclass(frozen=True, slots=True)
class LevelFit:
    """The weekday-adjusted level at the cutoff and its growth rate per day (continuously
    compounded); and `flat`, the level of a fit without trend (the weighted mean: simple
    exponential smoothing). A trend fit's level at the cutoff carries the trend to the last
    day, which on a flat scope only adds the noise of the slope; the replay decides."""

    level: float
    growth: float
    flat: float

    @classmethod
    def without_trend(cls, level: float) -> LevelFit:
        return cls(level, 0.0, level)


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
    history: DailyArray,
    month: MonthSpan,
    cutoff: int,
    charges: FloatArray,
    irregular: float,
    drift: float = 0.0,
) -> MonthEndParts:
    """Expected spend of the month's days from index `cutoff` to its end, with `irregular`
    (`irregular_share`) and the expected drift of the level by shifts (`shift_drift`)."""
    month_end = month.start + month.days
    if cutoff >= month_end or cutoff <= 0:
        return MonthEndParts(np.zeros((HALF_LIVES.size, MODELS_PER_HALF_LIFE)))
    factors = weekday_factors(history, cutoff)
    since = level_since(history, cutoff, factors, charges)
    fits = level_fits(history, cutoff, factors, charges, HALF_LIVES, since)
    levels = np.array([fit.level for fit in fits])
    rates = np.array([fit.growth for fit in fits])
    flats = np.array([fit.flat for fit in fits])
    steps = np.arange(month_end - cutoff) + 0.5
    # A shift in the last `MIN_AFTER_DAYS` cannot be seen yet: it is as likely as any to come.
    unseen = drift * (steps + MIN_AFTER_DAYS)
    ahead = factors[history.weekdays(cutoff, month_end)] * (1.0 + irregular) * (1.0 + unseen)
    upcoming_charges = float(charges[cutoff - month.start + 1 : month.days + 1].sum())
    # growth[h, d, step]: each fit's daily growth, damped, compounded over the days ahead.
    growth = np.exp(rates[:, None, None] * DAMPINGS[None, :, None] * steps[None, None, :])
    trended = levels[:, None] * (growth @ ahead)
    flat = flats[:, None] * float(ahead.sum())
    return MonthEndParts(np.hstack([trended, flat]) + upcoming_charges)


def weekday_factors(history: DailyArray, cutoff: int) -> FloatArray:
    """Spend of each weekday (Monday = 0) relative to the average day.

    Each day is taken relative to its own week's median day, so that a level that moved
    within the window (a service added, growth) does not pass for a weekday pattern; then the
    median over the weeks, so that one spike or a charge on the 1st does not move it either.
    """
    weeks = min(WEEKDAY_WINDOW_WEEKS, cutoff // 7)
    if weeks < 2:
        return np.ones(7)
    start = cutoff - 7 * weeks
    table = history.values[start:cutoff].reshape(weeks, 7)
    week_levels = _column_medians(table.T)
    usable = week_levels > 0
    if usable.sum() < 2:
        return np.ones(7)
    medians = _column_medians(table[usable] / week_levels[usable, None])
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
    (see `shifts.py`), else the start of the longest window.

    A shift is placed where the days turn nearer the new level than the old, which on a
    service scaling up over a fortnight is half-way up its ramp: once `RAMP_FIT_AFTER_DAYS`
    more days are known, the fit starts `RAMP_DAYS` later, on the level it ramped up to.
    """
    start = max(0, cutoff - int(LEVEL_WINDOW_HALF_LIVES * HALF_LIVES[-1]))
    shift = last_shift(_level_series(history, start, cutoff, factors, charges))
    if shift is None:
        return start
    since = start + shift
    return since + RAMP_DAYS if cutoff - since >= RAMP_DAYS + RAMP_FIT_AFTER_DAYS else since


@dataclass(frozen=True, slots=True)
class ShiftHistory:
    """What the level shifts seen so far say about the rest of the month.

    `drift`: expected relative change of the level per day by shifts still to come. The level
    is fitted from the last shift on (`level_since`), so its trend cannot know that this
    scope's level keeps jumping, and by how much on average: a scope whose shifts are mostly
    up (services added) would be forecast low in every month before its next one. It is the
    shifts' relative sizes, summed, per day of history, once shifts recur; a single shift is a
    change of regime and says nothing of the next.

    `one_off`: the index of that single shift, else None: the months around it are no guide to
    ordinary months (`calibration.py`).
    """

    drift: float = 0.0
    one_off: int | None = None


def shift_history(history: DailyArray, cutoff: int, charges: FloatArray) -> ShiftHistory:
    """The level shifts before `cutoff`, over up to `SHIFT_WINDOW_DAYS` of history."""
    start = max(0, cutoff - SHIFT_WINDOW_DAYS)
    if cutoff - start < SHIFT_MIN_DAYS:
        return ShiftHistory()
    factors = weekday_factors(history, cutoff)
    shifts = all_shifts(_level_series(history, start, cutoff, factors, charges))
    if len(shifts) < MIN_RECURRING_SHIFTS:
        return ShiftHistory(one_off=start + shifts[0][0] if shifts else None)
    return ShiftHistory(drift=sum(size for _, size in shifts) / (cutoff - start))


def _level_series(
    history: DailyArray, start: int, cutoff: int, factors: FloatArray, charges: FloatArray
) -> FloatArray:
    """Weekday-adjusted daily spend from `start` to `cutoff`, fees and credits on their day
    counting as a typical day (they are not the level)."""
    expected = factors[history.weekdays(start, cutoff)]
    adjusted = history.values[start:cutoff] / np.maximum(expected, 0.05)
    fixed = charges[history.days_of_month[start:cutoff]] != 0
    if fixed.any() and not fixed.all():
        adjusted[fixed] = median(adjusted[~fixed])
    return adjusted


def level_and_growth(
    history: DailyArray,
    cutoff: int,
    factors: FloatArray,
    charges: FloatArray,
    half_life: float,
    since: int = 0,
) -> LevelFit:
    """Weekday-adjusted spend level at `cutoff` and its growth rate per day (continuously
    compounded), robust to spikes, fitted on the days from `since` on at most.

    Spend grows by a share a month, not by an amount: a straight line fitted to compounding
    spend lies below it at the latest days (the curve is convex), which biased the forecast
    low. The rate is the slope of the logarithm; the level is then the weighted mean of the
    detrended spend, a mean and not the geometric mean that the logarithm alone would give.
    """
    return level_fits(history, cutoff, factors, charges, np.array([half_life]), since)[0]


def level_fits(
    history: DailyArray,
    cutoff: int,
    factors: FloatArray,
    charges: FloatArray,
    half_lives: FloatArray,
    since: int = 0,
) -> list[LevelFit]:
    """`level_and_growth` for each of `half_lives`, the days' adjustment shared: each fit
    looks back over a suffix of the longest one's window."""
    window = max(since, cutoff - int(LEVEL_WINDOW_HALF_LIVES * float(half_lives.max())))
    if window >= cutoff:
        return [LevelFit.without_trend(0.0) for _ in half_lives]
    values = history.values[window:cutoff]
    expected = factors[history.weekdays(window, cutoff)]
    weekday_ok = expected > 0.05
    ordinary = weekday_ok & (charges[history.days_of_month[window:cutoff]] == 0)
    adjusted = values / np.maximum(expected, 0.05)
    steps = np.arange(window - cutoff, 0, dtype=np.float64) + 0.5
    return [
        _level_fit(
            values,
            adjusted,
            weekday_ok,
            ordinary,
            steps,
            half_life,
            max(since, cutoff - int(LEVEL_WINDOW_HALF_LIVES * half_life)) - window,
        )
        for half_life in half_lives
    ]


def _level_fit(
    values: FloatArray,
    adjusted: FloatArray,
    weekday_ok: npt.NDArray[np.bool_],
    ordinary: npt.NDArray[np.bool_],
    steps: FloatArray,
    half_life: float,
    offset: int,
) -> LevelFit:
    """One half-life's fit over the days from `offset` on (see `level_and_growth`)."""
    if offset >= values.size:
        return LevelFit.without_trend(0.0)
    usable = ordinary[offset:]
    if np.count_nonzero(usable) < 3:
        usable = weekday_ok[offset:]
    if not usable.any():
        return LevelFit.without_trend(float(values[offset:].mean()))
    kept = adjusted[offset:][usable]
    centre = median(kept)
    spread = 1.4826 * median(np.abs(kept - centre))
    clipped = np.clip(kept, centre - CLIP_SPREADS * spread, centre + CLIP_SPREADS * spread)
    at = steps[offset:][usable]
    weights = np.exp2(at / half_life)
    total = float(weights.sum())
    flat = float(weights @ clipped) / total
    if clipped.size < 7 or float(clipped.min()) <= 0:
        # Too few days for a rate, or spend that is not all positive (no logarithm): level only.
        return LevelFit.without_trend(flat)
    rate = _weighted_slope(at, np.log(clipped), weights)
    level = float(weights @ (clipped * np.exp(-rate * at))) / total
    return LevelFit(level, rate, flat)


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


def _weighted_slope(x: FloatArray, y: FloatArray, weights: FloatArray) -> float:
    """Weighted least-squares slope of y on x."""
    total = float(weights.sum())
    mean_x = float(weights @ x) / total
    mean_y = float(weights @ y) / total
    spread_x = float(weights @ (x - mean_x) ** 2)
    return float(weights @ ((x - mean_x) * (y - mean_y))) / spread_x if spread_x > 0 else 0.0


def median(values: FloatArray) -> float:
    """Median of a 1-D array, without `np.median`'s dispatch overhead (it dominates here)."""
    ordered = np.sort(values)
    size = ordered.size
    return 0.5 * float(ordered[(size - 1) // 2] + ordered[size // 2])


def _column_medians(table: FloatArray) -> FloatArray:
    ordered = np.sort(table, axis=0)
    rows = ordered.shape[0]
    return np.asarray(0.5 * (ordered[(rows - 1) // 2] + ordered[rows // 2]), dtype=np.float64)
