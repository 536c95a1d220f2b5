"""Finding the last lasting change of a scope's spend level (a service added or removed, a
price change, a migration), so that the level is fitted from there on rather than across it.

A two-sample test at every day of the history: the median of the (up to) `SIDE_DAYS` days
from that day on against the median of the `SIDE_DAYS` days before it. Medians, so that a spike
or a credit is not a shift; a shift counts when it is both large against the day-to-day noise
and a material share of the level. The noise is measured from day-to-day differences, which a
shift barely moves (one large difference among many).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]

#: Days compared either side of a candidate day; at least `MIN_AFTER_DAYS` after it.
SIDE_DAYS = 28
MIN_AFTER_DAYS = 5
#: A shift must exceed this many standard errors of the difference of the two medians...
MIN_SHIFT_T = 9.0
#: ... and this share of the level before it.
MIN_SHIFT_SHARE = 0.1


def last_shift(adjusted: FloatArray) -> int | None:
    """Index in `adjusted` (weekday-adjusted daily spend, oldest first) where the most recent
    lasting level shift starts, or None when there is none."""
    size = adjusted.size
    if size < SIDE_DAYS + MIN_AFTER_DAYS:
        return None
    noise = 1.4826 * _median(np.abs(np.diff(adjusted))) / np.sqrt(2.0)
    padded = np.concatenate([adjusted, np.full(SIDE_DAYS - MIN_AFTER_DAYS, np.nan)])
    before = _window_medians(adjusted[: size - MIN_AFTER_DAYS])  # ends at each candidate
    after = _window_medians(padded[SIDE_DAYS:])  # starts at each candidate
    after_days = np.minimum(SIDE_DAYS, size - np.arange(SIDE_DAYS, size - MIN_AFTER_DAYS + 1))
    # Standard error of a difference of two medians (1.25 sigma / sqrt(n) each).
    # (Floored: a noiseless series makes every step infinitely significant, not 0 / 0.)
    error = np.maximum(1.2533 * noise * np.sqrt(1.0 / SIDE_DAYS + 1.0 / after_days), 1e-12)
    step = after - before
    significant = (np.abs(step) > MIN_SHIFT_T * error) & (
        np.abs(step) > MIN_SHIFT_SHARE * np.abs(before)
    )
    if not significant.any():
        return None
    latest = int(np.flatnonzero(significant)[-1])
    # The test fires on every day near a shift: take the strongest day of that last cluster...
    first = max(0, latest - SIDE_DAYS)
    strength = np.abs(step[first : latest + 1]) / error[first : latest + 1]
    strongest = first + int(np.argmax(strength))
    # ... whose medians are flat for days around the shift: place it on the first day of the
    # run of days that lie nearer the level after than the level before.
    return _split(adjusted, SIDE_DAYS + strongest, before[strongest], after[strongest])


def all_shifts(adjusted: FloatArray) -> list[tuple[int, float]]:
    """Every lasting level shift found in `adjusted`, newest first (the last one, then the last
    one before it, and so on): its index and relative size (level after / level before - 1)."""
    found: list[tuple[int, float]] = []
    end = adjusted.size
    while (shift := last_shift(adjusted[:end])) is not None and shift > 0:
        before = _median(adjusted[max(0, shift - SIDE_DAYS) : shift])
        after = _median(adjusted[shift : min(end, shift + SIDE_DAYS)])
        if before > 0:
            found.append((shift, after / before - 1.0))
        end = shift
    return found


def _split(adjusted: FloatArray, near: int, level_before: float, level_after: float) -> int:
    """The day from which the days up to `near` + `SIDE_DAYS` lie nearer `level_after` (most
    in total), searching from `near` - `SIDE_DAYS`."""
    start, stop = max(0, near - SIDE_DAYS), min(adjusted.size, near + SIDE_DAYS)
    segment = adjusted[start:stop]
    nearer_after = np.abs(segment - level_before) - np.abs(segment - level_after)
    from_each_day = np.cumsum(nearer_after[::-1])[::-1]
    return start + int(np.argmax(from_each_day))


def _window_medians(values: FloatArray) -> FloatArray:
    """Median of each run of `SIDE_DAYS` consecutive values (NaN padding at the end ignored)."""
    windows = np.sort(sliding_window_view(values, SIDE_DAYS), axis=1)
    counts = np.sum(~np.isnan(windows), axis=1)
    rows = np.arange(windows.shape[0])
    return np.asarray(
        0.5 * (windows[rows, (counts - 1) // 2] + windows[rows, counts // 2]), dtype=np.float64
    )


def _median(values: FloatArray) -> float:
    ordered = np.sort(values)
    return 0.5 * float(ordered[(ordered.size - 1) // 2] + ordered[ordered.size // 2])
