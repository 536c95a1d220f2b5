"""Run the streaming detector over a history, point by point in time order (pure)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from finance_pack.domain.anomaly.detector import DetectorSettings, SeriesDetector, Verdict


class BacktestInputError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BacktestRow:
    index: int  # position in the input, so the output keeps one row per input row
    timestamp: datetime
    value: float
    verdict: Verdict | None  # None: a repeated timestamp, judged once already


def infer_interval(timestamps: Sequence[datetime]) -> int:
    """The most common positive step between consecutive times, in seconds."""
    ordered = sorted(set(timestamps))
    steps = [int((b - a).total_seconds()) for a, b in pairwise(ordered)]
    steps = [step for step in steps if step > 0]
    if not steps:
        raise BacktestInputError("need at least two distinct timestamps to infer the interval")
    return int(statistics.mode(steps))


def run_backtest(
    points: Sequence[tuple[datetime, float]], settings: DetectorSettings
) -> list[BacktestRow]:
    """One row per input point, in input order; the detector sees them in time order."""
    detector = SeriesDetector(infer_interval([t for t, _v in points]), settings)
    order = sorted(range(len(points)), key=lambda i: (points[i][0], i))
    rows: dict[int, BacktestRow] = {}
    for index in order:
        moment, value = points[index]
        seen = detector.last_start is not None and moment.timestamp() <= detector.last_start
        verdict = None if seen else detector.observe(moment, value)
        rows[index] = BacktestRow(index, moment, value, verdict)
    return [rows[i] for i in range(len(points))]
