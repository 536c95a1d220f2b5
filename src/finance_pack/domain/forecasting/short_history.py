"""The seasonal forecaster's fallback with fewer than two earlier months to replay.

The point is the trend fit's level at the cutoff over the days left, its growth not
extrapolated (a slope from a few weeks is mostly noise), plus the odd days seen that may come
again this month. The 80 % interval is that of a sum of independent parts, not the sum of each
part's interval (all of them at their extreme at once is far rarer than one in ten):

- a normal core: the remaining days' own noise, the error of the level (the end of a trend
  line, much noisier than the window's mean), a drift of the level that a few weeks cannot
  rule out, and level shifts like those seen, at the rate seen;
- odd days (spikes, fees, credits: beyond `CLIP_SPREADS` robust spreads of the level):
  * on a day of month that stood out in two months with the same sign, a monthly charge (the
    rule of `recurring_charges`): in the month-to-date already once its day has passed;
  * seen once before this month, on a day still to come: a monthly charge or a one-off, and
    one sighting cannot tell; expected with even odds, the interval holding both outcomes;
    seen on that day in two earlier months, expected in full;
  * any other: a one-off, not extrapolated; another is allowed for at the rate seen;
- on a side where no odd day was seen, those a year would show, at the rate that a few weeks
  without any leave likely.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from finance_pack.domain.forecasting.daily_model import (
    CLIP_SPREADS,
    DEFAULT_HALF_LIFE,
    HALF_LIVES,
    LEVEL_WINDOW_DAYS,
    DailyArray,
    FloatArray,
    MonthSpan,
    median,
    remaining_parts,
    weekday_factors,
)
from finance_pack.domain.forecasting.shifts import all_shifts

#: The model (`MonthEndParts`) of the trend fit's level with its growth damped to nothing: a
#: short history knows where the level is, not where it is going.
LEVEL_WITHOUT_GROWTH = 0
#: Normal quantile of an 80 % two-sided interval, and the one-sided tail probability it leaves.
Z_80 = 1.2816
TAIL_80 = 0.9
#: Monthly drift of the level (growth or decline) that a short history cannot rule out, as a
#: standard deviation: cloud spend commonly grows by 0-5 % a month; a few weeks measure the
#: level, not its slope (which is not extrapolated).
SHORT_HISTORY_DRIFT_PER_MONTH = 0.04
#: Spikes (up) and credits (down) as a share of spend that a year of a cloud bill commonly
#: carries, each; allowed for on a side where a short history showed none.
SHORT_HISTORY_UNSEEN_SHARE = 0.03
#: Size of a typical spike or credit in days of spend: with the share above, one every ~67
#: days. The chance that one is due is then updated by the days seen without any (the mean of
#: an exponential prior on the rate after that many days: 67 / (67 + days)).
SHORT_HISTORY_IRREGULAR_DAYS = 2.0
#: Chance that a fee, spike or credit seen once before this month, on a day of month still to
#: come, is a monthly charge and comes again: one sighting cannot tell the two apart.
SHORT_HISTORY_RECURRENCE = 0.5
#: The day-to-day spread assumed when fewer than a few days were seen.
UNKNOWN_DAILY_SPREAD = 0.5
#: Days needed before a day can stand out from the level: two weeks, below which the weekday
#: pattern is not known (`weekday_factors`) and a weekend would pass for a credit.
MIN_DAYS_FOR_ODD_DAYS = 14


@dataclass(frozen=True, slots=True)
class ShortHistoryEstimate:
    remaining: float  # expected spend of the days still to come
    low: float  # the month-end's 80 % interval
    high: float


@dataclass(frozen=True, slots=True)
class _OddDays:
    """What the odd days seen say about the rest of the month (amounts in money)."""

    expected: float = 0.0  # charges expected in the days left, weighted by their chance
    up: float = 0.0  # widening that holds both outcomes of those charges
    down: float = 0.0
    spikes: tuple[float, ...] = ()  # one-offs: excess over the level of each (positive)
    credits: tuple[float, ...] = ()  # one-offs: shortfall below the level of each (positive)


def short_history_estimate(
    history: DailyArray, month: MonthSpan, cutoff: int, charges: FloatArray, month_to_date: float
) -> ShortHistoryEstimate:
    """The remaining spend and the month-end's 80 % interval from the days before `cutoff`
    (at most `LEVEL_WINDOW_DAYS` of them), with `charges` as `recurring_charges` found them."""
    level_remaining = remaining_parts(history, month, cutoff, charges, 0.0).remaining(
        DEFAULT_HALF_LIFE, LEVEL_WITHOUT_GROWTH
    )
    days_left = month.start + month.days - cutoff
    start = max(0, cutoff - LEVEL_WINDOW_DAYS)
    factors = weekday_factors(history, cutoff)[history.weekdays(start, cutoff)]
    usage = history.values[start:cutoff] - charges[history.days_of_month[start:cutoff]]
    adjusted = usage / np.maximum(factors, 0.05)
    odd = _odd_days(history, month, cutoff, start, adjusted, factors)
    remaining = level_remaining + odd.expected
    point = month_to_date + remaining
    if days_left <= 0 or level_remaining == 0:
        return ShortHistoryEstimate(remaining, point, point)
    core = _core_relative_sd(adjusted, days_left) * abs(level_remaining)
    unseen = _unseen_share(adjusted.size) * abs(level_remaining)
    rate_days = days_left / adjusted.size
    high = _tail(core, odd.spikes, rate_days, unseen) + odd.up
    low = _tail(core, odd.credits, rate_days, unseen) + odd.down
    return ShortHistoryEstimate(remaining, point - low, point + high)


def _core_relative_sd(adjusted: FloatArray, days_left: int) -> float:
    """Relative standard deviation of the remaining spend without odd days.

    A sum of `n` days: the day-to-day part (spread^2 / n), plus the error of the level, shared
    by every remaining day, plus the drift of the level over the rest of the month.
    """
    seen = adjusted.size
    centre = median(adjusted) if seen else 0.0
    # Robust: one fee or spike in a few weeks would otherwise dominate the spread.
    robust = 1.4826 * median(np.abs(adjusted - centre)) if seen else 0.0
    daily = robust / abs(centre) if seen >= 3 and centre != 0 else UNKNOWN_DAILY_SPREAD
    drift = SHORT_HISTORY_DRIFT_PER_MONTH * (days_left / 2) / 30
    return math.sqrt(
        daily**2 / days_left
        + daily**2 * _level_variance(seen)
        + drift**2
        + _shift_variance(adjusted, days_left)
    )


def _shift_variance(adjusted: FloatArray, days_left: int) -> float:
    """Relative variance of the remaining spend from level shifts like those seen.

    A scope whose level jumped in the window may jump again: at the rate seen (shifts per day
    seen), by the sizes seen. A shift on a day uniformly among those left moves a uniform
    share of them, whose square averages 1/3.
    """
    shifts = all_shifts(adjusted)
    if not shifts:
        return 0.0
    mean_square = sum(size**2 for _, size in shifts) / len(shifts)
    return len(shifts) / adjusted.size * days_left * mean_square / 3


def _level_variance(seen: int) -> float:
    """Variance of the fitted level at the cutoff, in units of one day's variance.

    The level is the end of a line fitted with weights halving every 14 days back
    (`HALF_LIVES[DEFAULT_HALF_LIFE]`, see `level_fits`): an extrapolation to the window's
    edge, with about 1/10 of a day's variance over 50 days where their plain mean would have
    1/50. Below a week the fit has no slope, and the level is the weighted mean.
    """
    if seen == 0:
        return 1.0
    steps = np.arange(-seen, 0, dtype=np.float64) + 0.5
    weights = np.exp2(steps / HALF_LIVES[DEFAULT_HALF_LIFE])
    if seen < 7:
        return float((weights**2).sum() / weights.sum() ** 2)
    design = np.stack([np.ones_like(steps), steps], axis=1)
    inverse = np.linalg.inv(design.T @ (weights[:, None] * design))
    sandwich = inverse @ design.T @ ((weights**2)[:, None] * design) @ inverse
    return float(sandwich[0, 0])


def _unseen_share(days_seen: int) -> float:
    prior_days = SHORT_HISTORY_IRREGULAR_DAYS / SHORT_HISTORY_UNSEEN_SHARE
    return SHORT_HISTORY_UNSEEN_SHARE * prior_days / (prior_days + days_seen)


def _odd_days(
    history: DailyArray,
    month: MonthSpan,
    cutoff: int,
    start: int,
    adjusted: FloatArray,
    factors: FloatArray,
) -> _OddDays:
    """Sort the days beyond the clipping bounds into charges (monthly) and one-offs."""
    first_unseen_day = cutoff - month.start + 1
    expected = up = down = 0.0
    spikes: list[float] = []
    credits: list[float] = []
    for (day_of_month, _), seen in _sightings(history, start, adjusted, factors).items():
        if first_unseen_day <= day_of_month <= month.days:
            # Only earlier months can have shown a day still to come.
            chance = 1.0 if len(seen) >= 2 else SHORT_HISTORY_RECURRENCE
            amount = sum(amount for _, amount in seen) / len(seen)
            expected += chance * amount
            if chance < 1:  # it comes or it does not: the interval holds both
                up += max(amount, 0.0) - chance * amount
                down += chance * amount - min(amount, 0.0)
        elif len(seen) >= 2 and any(index >= month.start for index, _ in seen):
            continue  # a monthly charge, in the month-to-date already
        else:
            for _, amount in seen:
                (spikes if amount > 0 else credits).append(abs(amount))
    return _OddDays(expected, up, down, tuple(spikes), tuple(credits))


def _sightings(
    history: DailyArray, start: int, adjusted: FloatArray, factors: FloatArray
) -> dict[tuple[int, bool], list[tuple[int, float]]]:
    """The odd days by day of month and sign (above the level or below), each as its index
    and its amount beyond the level."""
    if adjusted.size < MIN_DAYS_FOR_ODD_DAYS:
        return {}
    centre = median(adjusted)
    spread = 1.4826 * median(np.abs(adjusted - centre))
    sightings: dict[tuple[int, bool], list[tuple[int, float]]] = defaultdict(list)
    for offset in np.flatnonzero(np.abs(adjusted - centre) > CLIP_SPREADS * spread):
        amount = float((adjusted[offset] - centre) * factors[offset])
        day_of_month = int(history.days_of_month[start + offset])
        sightings[(day_of_month, amount > 0)].append((start + int(offset), amount))
    return sightings


def _tail(core: float, one_offs: tuple[float, ...], rate_days: float, unseen: float) -> float:
    """Distance from the point to one end of the 80 % interval.

    With one-offs seen, their count in the days left is Poisson at the rate seen (`rate_days`:
    days left per day seen), each the size of their mean, added to the normal core: the end
    is that mixture's 90th percentile. Without, a share of the remaining spend that a year
    would show, combined with the core as a variance.
    """
    if not one_offs:
        return math.hypot(Z_80 * core, unseen)
    return _mixture_quantile(core, len(one_offs) * rate_days, sum(one_offs) / len(one_offs))


def _mixture_quantile(sd: float, mean_count: float, size: float) -> float:
    """The `TAIL_80` quantile of N(0, sd^2) + size * Poisson(mean_count), by bisection."""
    counts = np.arange(int(mean_count + 6 * math.sqrt(mean_count) + 6))
    log_chances = (
        counts * math.log(mean_count)
        - mean_count
        - np.array([math.lgamma(count + 1) for count in counts])
    )
    chances = np.exp(log_chances)
    scale = max(sd, 1e-9 * size, 1e-12) * math.sqrt(2.0)

    def below(x: float) -> float:
        erf = np.array([math.erf((x - count * size) / scale) for count in counts])
        return float(chances @ (0.5 * (1.0 + erf)))

    low, high = 0.0, Z_80 * sd + float(counts[-1]) * size
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if below(middle) < TAIL_80 else (low, middle)
    return high
