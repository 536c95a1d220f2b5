"""Detector accuracy: labelled, seeded series; ours against a robust rolling z-score and river's
HalfSpaceTrees in the same harness.

Each anomaly kind gets its own set of series (so precision is per kind): hourly and daily spend
with a weekday pattern, growth and noise, and machine metrics (CPU %, network bytes, request
counts, hourly). A series carries anomalies of one kind: spikes (one interval), level shifts
(lasting to the end), slow ramps (a leaked resource: +100 % over five days) or credits (a
negative interval, which must NOT alert when watching spend upwards). Clean series measure
false alerts. Alert = a run of consecutive flagged points; it is a true positive when it starts
inside an event's window (onset .. onset + tolerance), otherwise a false alert.

    .venv/bin/python benchmarks/anomaly.py [--series 20] [--days 60] [--seed 7]
                                           [--detectors ours zscore hst] [--json PATH]

Targets (issue 14): F1 >= 0.9 on spikes and level shifts, median delay <= 1 interval,
<= 1 false alert per series per month.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from _report import emit

from finance_pack.domain.anomaly import DetectorSettings, Direction, SeriesDetector

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
KINDS = ("spike", "level_shift", "ramp", "credit", "clean")
SHAPES = ("hourly_spend", "daily_spend", "cpu", "network", "requests")


@dataclass
class Series:
    shape: str
    kind: str
    interval: int  # seconds
    starts: list[datetime]
    values: list[float]
    events: list[tuple[int, int]] = field(default_factory=list)  # (onset, window end) indexes
    absolute_margin: float = 25.0


def _base_curve(shape: str, n: int, interval: int, rng: np.random.Generator) -> np.ndarray:
    hours = np.array([(START + timedelta(seconds=i * interval)).hour for i in range(n)])
    days = np.array([(START + timedelta(seconds=i * interval)).weekday() for i in range(n)])
    t = np.arange(n) * interval / 86_400
    weekend = np.where(days >= 5, rng.uniform(0.55, 0.8), 1.0)
    daily = 1.0 + rng.uniform(0.2, 0.5) * np.sin((hours - 8) / 24 * 2 * np.pi)
    growth = 1.0 + rng.uniform(-0.05, 0.25) * t / 30
    level = {"hourly_spend": 40.0, "daily_spend": 1200.0, "cpu": 35.0}.get(shape, 5_000.0)
    level *= rng.uniform(0.5, 2.0)
    if shape == "daily_spend":
        daily = np.ones(n)
    noise_pct = {"cpu": 0.08, "network": 0.12, "requests": 0.07}.get(shape, 0.05)
    curve = level * weekend * daily * growth
    return np.asarray(curve * (1 + rng.normal(0, noise_pct, n)))


def make_series(shape: str, kind: str, days: int, rng: np.random.Generator) -> Series:
    interval = 86_400 if shape == "daily_spend" else 3_600
    n = days * 86_400 // interval
    values = _base_curve(shape, n, interval, rng)
    per_day = 86_400 // interval
    first = 14 * per_day  # anomalies after two weeks of history
    events: list[tuple[int, int]] = []
    tolerance = 1 if interval == 86_400 else 2
    if kind == "spike":
        for onset in sorted(rng.choice(np.arange(first, n - 2), size=3, replace=False)):
            values[onset] *= rng.uniform(2.5, 5.0)
            events.append((int(onset), int(onset) + tolerance))
    elif kind == "level_shift":
        onset = int(rng.integers(first, n - 5 * per_day))
        values[onset:] *= rng.uniform(1.8, 3.0)
        events.append((onset, onset + tolerance))
    elif kind == "ramp":
        onset = int(rng.integers(first, n - 6 * per_day))
        ramp_len = 5 * per_day
        values[onset : onset + ramp_len] *= 1 + np.linspace(0, 1.0, ramp_len)
        values[onset + ramp_len :] *= 2.0
        events.append((onset, onset + ramp_len))
    elif kind == "credit":
        for onset in rng.choice(np.arange(first, n), size=2, replace=False):
            values[onset] = -values[onset] * rng.uniform(2, 10)  # labelled normal for `up`
    starts = [START + timedelta(seconds=i * interval) for i in range(n)]
    margin = 0.1 * float(np.median(values[:first]))
    return Series(shape, kind, interval, starts, [float(v) for v in values], events, margin)


# --- detectors: each maps a series to one flag per point, point by point -----------------


def run_ours(series: Series) -> list[bool]:
    settings = DetectorSettings(absolute_margin=series.absolute_margin, direction=Direction.UP)
    detector = SeriesDetector(series.interval, settings)
    return [
        detector.observe(s, v).is_anomaly for s, v in zip(series.starts, series.values, strict=True)
    ]


def run_zscore(series: Series) -> list[bool]:
    """Modified z-score (Iglewicz and Hoaglin): median and MAD of the last week, z > 3.5,
    gated by the same relative and absolute margins as ours."""
    window: deque[float] = deque(maxlen=7 * 86_400 // series.interval)
    flags = []
    for value in series.values:
        flag = False
        if len(window) >= min(window.maxlen or 0, 48):
            median = statistics.median(window)
            mad = statistics.median(abs(x - median) for x in window) or 1e-9
            z = 0.6745 * (value - median) / mad
            excess = value - median
            flag = z > 3.5 and excess > 0.3 * abs(median) and excess > series.absolute_margin
        flags.append(flag)
        window.append(value)
    return flags


def run_hst(series: Series) -> list[bool]:
    """river's HalfSpaceTrees on (scaled value, hour, weekday), flagged above its running
    99.5 % score quantile."""
    from river import anomaly, compose, preprocessing

    model = compose.Pipeline(
        preprocessing.MinMaxScaler(),
        anomaly.QuantileFilter(anomaly.HalfSpaceTrees(n_trees=10, height=8, seed=1), q=0.995),
    )
    flags = []
    for start, value in zip(series.starts, series.values, strict=True):
        features = {"value": value, "hour": start.hour / 23, "weekday": start.weekday() / 6}
        score = model.score_one(features)
        flags.append(bool(model["QuantileFilter"].classify(score)) and len(flags) > 48)
        model.learn_one(features)
    return flags


DETECTORS: dict[str, Callable[[Series], list[bool]]] = {
    "ours": run_ours,
    "zscore": run_zscore,
    "hst": run_hst,
}


# --- scoring -----------------------------------------------------------------------------


@dataclass
class Tally:
    events: int = 0
    detected: int = 0
    false_alerts: int = 0
    delays: list[int] = field(default_factory=list)
    months: float = 0.0
    series: int = 0


def alerts_of(flags: Sequence[bool]) -> list[int]:
    """Indexes where a run of flags starts: one alert per run."""
    return [i for i, flag in enumerate(flags) if flag and (i == 0 or not flags[i - 1])]


def score_series(series: Series, flags: Sequence[bool], tally: Tally) -> None:
    tally.series += 1
    tally.months += len(series.values) * series.interval / (30 * 86_400)
    tally.events += len(series.events)
    matched: set[int] = set()
    for index in alerts_of(flags):
        hit = next((k for k, (a, b) in enumerate(series.events) if a <= index <= b), None)
        if hit is None:
            tally.false_alerts += 1
        elif hit not in matched:
            matched.add(hit)
            tally.detected += 1
            tally.delays.append(index - series.events[hit][0])


def figures(detector: str, kind: str, tally: Tally, seconds: float) -> dict[str, object]:
    precision = tally.detected / (tally.detected + tally.false_alerts) if tally.detected else 0.0
    recall = tally.detected / tally.events if tally.events else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return {
        "detector": detector,
        "kind": kind,
        "series": tally.series,
        "events": tally.events,
        "precision": precision if tally.events else math.nan,
        "recall": recall,
        "f1": f1 if tally.events else math.nan,
        "median_delay_intervals": statistics.median(tally.delays) if tally.delays else None,
        "false_alerts_per_series_month": tally.false_alerts / tally.months,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20, help="series per kind and shape")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=DETECTORS)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    dataset = [
        make_series(shape, kind, args.days * (3 if shape == "daily_spend" else 1), rng)
        for kind in KINDS
        for shape in SHAPES
        if not (kind == "credit" and shape in ("cpu", "network", "requests"))
        for _ in range(args.series)
    ]
    rows = []
    for name in args.detectors:
        tallies = {kind: Tally() for kind in KINDS}
        began = time.perf_counter()
        for series in dataset:
            score_series(series, DETECTORS[name](series), tallies[series.kind])
        seconds = time.perf_counter() - began
        rows += [figures(name, kind, tallies[kind], seconds) for kind in KINDS]
        overall = Tally()
        for tally in tallies.values():
            overall.months += tally.months
            overall.series += tally.series
            overall.false_alerts += tally.false_alerts
        rows.append({**figures(name, "all (false alerts)", overall, seconds)})
    emit("Anomaly detector accuracy", rows, args.json)


if __name__ == "__main__":
    main()
