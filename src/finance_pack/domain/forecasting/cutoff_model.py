"""What the daily model makes of a history at one cutoff of one month, computed once.

The seasonal forecaster replays its model at comparable cutoffs of a dozen earlier months for
every forecast (`calibration.py`), and a back-test forecasts every day of several months:
consecutive days, and consecutive months, replay mostly the same cutoffs of the same history.
Each result is kept (a bounded, least-recently-used memo) under what determines it: the
history's first day, the month, the cutoff and a digest of every value before the cutoff.
Equal keys mean equal inputs, so a hit returns exactly what computing would.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from finance_pack.domain.forecasting.daily_model import (
    DailyArray,
    FloatArray,
    MonthEndParts,
    MonthSpan,
    ShiftHistory,
    irregular_share,
    recurring_charges,
    remaining_parts,
    shift_history,
)

#: Results kept: a back-test of a few budgets over a few months needs a few thousand.
MEMO_ENTRIES = 16_384

Key = tuple[date, int, int, int, bytes]
Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class CutoffModel:
    """The model's expected spend for the rest of the month (`MonthEndParts`), and the level
    shifts seen so far (`ShiftHistory`), at one cutoff."""

    parts: MonthEndParts
    shifts: ShiftHistory


class _Memo(Generic[Value]):
    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._kept: OrderedDict[Key, Value] = OrderedDict()
        # The API computes in worker threads.
        self._lock = threading.Lock()

    def get(self, key: Key, compute: Callable[[], Value]) -> Value:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = compute()
        with self._lock:
            self._kept[key] = value
            if len(self._kept) > self._entries:
                self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


_MODELS: _Memo[CutoffModel] = _Memo(MEMO_ENTRIES)
_CHARGES: _Memo[FloatArray] = _Memo(MEMO_ENTRIES)


def cutoff_model(history: DailyArray, month: MonthSpan, cutoff: int) -> CutoffModel:
    """The model at index `cutoff` of `month`, seeing only the days before `cutoff`."""

    def compute() -> CutoffModel:
        charges = month_charges(history, month)
        shifts = shift_history(history, cutoff, charges)
        irregular = irregular_share(history, cutoff, charges)
        parts = remaining_parts(history, month, cutoff, charges, irregular, shifts.drift)
        parts.table.flags.writeable = False  # shared by every caller from now on
        return CutoffModel(parts, shifts)

    return _MODELS.get(_key(history, month, cutoff), compute)


def month_charges(history: DailyArray, month: MonthSpan) -> FloatArray:
    """`recurring_charges` of `month`, learnt from the days before it."""

    def compute() -> FloatArray:
        charges = recurring_charges(history, month)
        charges.flags.writeable = False  # shared by every caller from now on
        return charges

    return _CHARGES.get(_key(history, month, month.start), compute)


def forget() -> None:
    """Drop every kept result (to measure, or to bound memory after a large back-test)."""
    _MODELS.clear()
    _CHARGES.clear()


def _key(history: DailyArray, month: MonthSpan, cutoff: int) -> Key:
    seen = history.values[: max(cutoff, 0)]
    digest = hashlib.blake2b(seen.tobytes(), digest_size=16).digest()
    return (history.origin, month.start, month.days, cutoff, digest)
