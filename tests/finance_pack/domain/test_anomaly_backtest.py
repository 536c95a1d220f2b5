"""Replaying a history through the streaming detector (domain/anomaly/backtest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from finance_pack.domain.anomaly import DetectorSettings, SeriesDetector
from finance_pack.domain.anomaly.backtest import (
    BacktestInputError,
    BacktestRow,
    infer_interval,
    run_backtest,
)

T0 = datetime(2026, 10, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_the_interval_is_the_most_common_step_ignoring_repeats_and_order() -> None:
    times = [T0 + 5 * HOUR, T0, T0 + HOUR, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    assert infer_interval(times) == 3600
    daily = [T0 + timedelta(days=d) for d in (0, 1, 2, 4, 5)]
    assert infer_interval(daily) == 86400


@pytest.mark.parametrize("times", [[], [T0], [T0, T0]])
def test_fewer_than_two_distinct_times_cannot_give_an_interval(times: list[datetime]) -> None:
    with pytest.raises(
        BacktestInputError, match="need at least two distinct timestamps to infer the interval"
    ):
        infer_interval(times)


def test_rows_keep_input_order_while_the_detector_sees_time_order() -> None:
    values = [30.0 + (h % 3) for h in range(60)] + [400.0]
    points = [(T0 + h * HOUR, v) for h, v in enumerate(values)]
    shuffled = points[::2] + points[1::2]
    settings = DetectorSettings(warmup_points=24)
    rows = run_backtest(shuffled, settings)

    reference = SeriesDetector(3600, settings)
    expected = {moment: reference.observe(moment, value) for moment, value in points}
    assert [(row.index, row.timestamp, row.value) for row in rows] == [
        (i, moment, value) for i, (moment, value) in enumerate(shuffled)
    ]
    assert all(row.verdict == expected[row.timestamp] for row in rows)
    spike = next(row for row in rows if row.value == 400.0)
    assert spike.verdict is not None and spike.verdict.is_anomaly


def test_a_repeated_time_is_judged_once_the_first_time_it_appears() -> None:
    points = [(T0, 10.0), (T0 + HOUR, 11.0), (T0, 99.0), (T0 + 2 * HOUR, 12.0)]
    rows = run_backtest(points, DetectorSettings())
    assert [row.verdict is None for row in rows] == [False, False, True, False]
    assert rows[2] == BacktestRow(2, T0, 99.0, None)
    assert rows[0].verdict is not None and rows[0].verdict.value == 10.0


def test_the_last_point_seen_is_a_utc_instant() -> None:
    detector = SeriesDetector(900)
    assert detector.last_seen is None
    detector.observe(T0, 5.0)
    assert detector.last_seen == T0 and detector.last_seen.tzinfo is UTC
