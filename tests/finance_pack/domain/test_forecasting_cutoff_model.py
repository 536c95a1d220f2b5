"""The seasonal forecaster computes its model once per history and cutoff (`cutoff_model.py`):
a back-test replays the same cutoffs for day after day, and must get exactly what computing
afresh would give."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from finance_pack.domain.forecasting import cutoff_model as memo
from finance_pack.domain.forecasting.calibration import replay_errors
from finance_pack.domain.forecasting.daily_model import (
    DailyArray,
    MonthSpan,
    irregular_share,
    recurring_charges,
    remaining_parts,
    shift_history,
)

ORIGIN = date(2024, 1, 1)
MONTH = MonthSpan(639, 31)  # October 2025, 639 days after 1 January 2024
CUTOFF = MONTH.start + 12


def _history(seed: int) -> DailyArray:
    values = 100.0 * np.random.default_rng(seed).lognormal(0.0, 0.05, CUTOFF)
    days = np.array([(ORIGIN.toordinal() + i) for i in range(CUTOFF)])
    days_of_month = np.array([date.fromordinal(int(day)).day for day in days])
    return DailyArray(
        values, ORIGIN, days_of_month, (ORIGIN.weekday() + np.arange(CUTOFF + 31)) % 7
    )


def _computed_afresh(history: DailyArray) -> np.ndarray:
    charges = recurring_charges(history, MONTH)
    shifts = shift_history(history, CUTOFF, charges)
    irregular = irregular_share(history, CUTOFF, charges)
    return remaining_parts(history, MONTH, CUTOFF, charges, irregular, shifts.drift).table


def test_a_history_that_differs_only_months_ago_is_not_served_another_ones_model() -> None:
    first = _history(101)
    spiked = DailyArray(first.values.copy(), ORIGIN, first.days_of_month, first.weekday_of)
    spiked.values[500] *= 20.0  # a runaway job 151 days before the cutoff
    before = memo.cutoff_model(first, MONTH, CUTOFF).parts.table
    after = memo.cutoff_model(spiked, MONTH, CUTOFF).parts.table
    assert not np.array_equal(before, after)  # the spike is part of expected spend
    assert np.array_equal(after, _computed_afresh(spiked))


def test_the_model_at_a_cutoff_is_computed_once_and_is_what_computing_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = _history(102)
    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return remaining_parts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(memo, "remaining_parts", counted)
    first = memo.cutoff_model(history, MONTH, CUTOFF)
    again = memo.cutoff_model(history, MONTH, CUTOFF)
    assert len(calls) == 1
    assert again is first
    assert np.array_equal(first.parts.table, _computed_afresh(history))


def test_a_shared_model_cannot_be_changed_by_one_caller() -> None:
    model = memo.cutoff_model(_history(103), MONTH, CUTOFF)
    with pytest.raises(ValueError, match="read-only"):
        model.parts.table[0, 0] = 0.0
    charges = memo.month_charges(_history(103), MONTH)
    with pytest.raises(ValueError, match="read-only"):
        charges[1] = 0.0


def test_the_memo_forgets_the_least_recently_used_first() -> None:
    kept: memo._Memo[str] = memo._Memo(2)
    computed: list[str] = []

    def key(name: str) -> memo.Key:
        return (ORIGIN, 0, 31, 0, name.encode())

    def get(name: str) -> str:
        return kept.get(key(name), lambda: computed.append(name) or name)  # type: ignore[func-returns-value]

    for name in ("a", "b", "a", "c", "a", "b"):
        get(name)
    # "a" was used again before "c" arrived, so "b" was forgotten and is computed again.
    assert computed == ["a", "b", "c", "b"]


def test_a_replayed_forecast_sees_nothing_after_its_own_cutoff() -> None:
    # Replaying last month once 10 days are complete also replays it after 8, 9, 11 and 12: a
    # runaway job on its 10th must not reach the forecasts made after 8 and 9 days (a live
    # forecast then could not have known), and does reach the one made after 10.
    history = _history(104)
    spiked = DailyArray(history.values.copy(), ORIGIN, history.days_of_month, history.weekday_of)
    last_month = MonthSpan(MONTH.start - 30, 30)  # September 2025
    spiked.values[last_month.start + 9] *= 20.0  # the 10th
    plain = replay_errors(history, date(2025, 10, 1), 10)
    with_spike = replay_errors(spiked, date(2025, 10, 1), 10)
    assert plain is not None and with_spike is not None
    # Rows: last month's cutoffs after days 8, 9, 10, 11 and 12 complete, then older months.
    assert np.array_equal(plain.predicted[:2], with_spike.predicted[:2])
    assert not np.array_equal(plain.predicted[2], with_spike.predicted[2])
