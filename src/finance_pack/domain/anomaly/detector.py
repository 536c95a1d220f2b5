"""A streaming detector per series: a robust seasonal baseline that learns as it goes.

Chosen by measurement (`benchmarks/anomaly.py`) over a robust rolling z-score and river's
HalfSpaceTrees. The baseline is additive Holt-Winters with two seasons, hour of day and day of
week (day of week only for daily series), a damped trend, and a robust scale (an exponentially
weighted mean absolute residual). What makes it robust:

- updates use the residual clipped to a few scales (Huber), so a spike barely moves the
  baseline and the points after it are judged against the old normal;
- a run of same-direction anomalies longer than `shift_after` is taken as a level shift: the
  baseline jumps to the new level, and the incident resolves once spend stays there;
- a missing interval advances the trend and changes nothing else; a point not after the last
  one is refused (the detector never looks back or ahead);
- a slow ramp (a leaked resource growing for days) is followed by the level, so the point test
  alone never sees it: a second, long baseline (the level smoothed over about a week) catches
  it. When the level has drifted past the long baseline's range, and the point is past it
  too, the point is anomalous (`Verdict.drift`) and is reported against the long baseline;
  the run goes on while the level stays past it, and becomes a level shift like any other.
  The long baseline stands still during an anomaly and then follows the level for a while
  (`settle`): a change that was alerted (or accepted) is not alerted again as drift.

A point is anomalous only when it lies outside the expected range by all three margins at
once: `z_threshold` robust scales, `relative_margin` of the expected value, and
`absolute_margin` in the series' money. Statistics are floats (they are estimates, not money);
amounts leave as `Decimal` rounded to the cent by whoever reports them.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

STATE_VERSION = 2
DAY = 86_400
_PACKED = struct.Struct("<41d")  # 10 scalars, 24 hour and 7 weekday season terms
_PACKED_V1 = struct.Struct("<39d")  # version 1: no long baseline


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """How far from normal is an anomaly. Margins are compared with the expected value."""

    relative_margin: float = 0.30
    absolute_margin: float = 25.0
    z_threshold: float = 4.5
    direction: Direction = Direction.UP
    warmup_points: int | None = None  # default: two days of hourly points, a week of daily
    shift_after: int | None = None  # default: 6 hourly points, 3 daily points

    def __post_init__(self) -> None:
        if self.relative_margin < 0 or self.absolute_margin < 0 or self.z_threshold <= 0:
            raise ValueError("margins must not be negative and z_threshold must be positive")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the detector made of one point. `score` is in [0, 1]; above 0.5 is anomalous."""

    start: datetime
    value: float
    expected: float
    lower: float
    upper: float
    score: float
    is_anomaly: bool
    warming_up: bool
    level_shift: bool = False
    drift: bool = False  # judged against the long baseline: a slow ramp, not a jump


class LatePointError(ValueError):
    """The point is not after the series' last point: the detector has moved past it."""


@dataclass
class SeriesDetector:
    """State of one series: about 40 numbers, serialisable with `to_state` / `from_state`."""

    interval_seconds: int
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    count: int = 0
    last_start: float | None = None
    level: float = 0.0
    trend: float = 0.0
    scale: float = 0.0
    hour_season: list[float] = field(default_factory=lambda: [0.0] * 24)
    week_season: list[float] = field(default_factory=lambda: [0.0] * 7)
    run: int = 0
    run_sum: float = 0.0
    long_level: float = 0.0  # the level smoothed over about a week (log space)
    settle: int = 0  # points left in which the long baseline follows the level

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")

    # -- rates, in points of this series' interval ------------------------------------------
    @property
    def daily(self) -> bool:
        return self.interval_seconds >= DAY

    @property
    def points_per_day(self) -> float:
        return DAY / self.interval_seconds

    @property
    def warmup(self) -> int:
        if self.settings.warmup_points is not None:
            return self.settings.warmup_points
        return 7 if self.daily else max(2 * int(self.points_per_day), 8)

    @property
    def shift_after(self) -> int:
        if self.settings.shift_after is not None:
            return self.settings.shift_after
        return 3 if self.daily else 6

    def _rates(self) -> tuple[float, float, float, float]:
        """Level, hour-season, week-season and scale learning rates."""
        if self.daily:
            return 0.15, 0.0, 0.10, 0.05
        per_day = max(self.points_per_day, 1.0)
        level = min(0.3, 2.0 / per_day)
        return level, 0.10, min(0.1, 3.0 / per_day), min(0.05, 2.0 / per_day)

    @property
    def settle_points(self) -> int:
        """How long the long baseline follows the level after an anomaly: two days (the time
        the level takes to absorb a jump it did not accept as a shift)."""
        return 2 * int(self.points_per_day) if not self.daily else self.shift_after

    def _long_rate(self) -> float:
        """The long baseline's rate: a time constant of a week (four weeks for daily
        series), so growth of a few percent a month stays well inside its range."""
        if self.daily:
            return 1.0 / 28
        return 1.0 / (7 * max(self.points_per_day, 1.0))

    # -- the model ---------------------------------------------------------------------------
    def _buckets(self, start: datetime) -> tuple[int, int]:
        return start.hour, start.weekday()

    def _season(self, hour: int, weekday: int) -> float:
        hour_part = 0.0 if self.daily else self.hour_season[hour] - sum(self.hour_season) / 24
        return hour_part + self.week_season[weekday] - sum(self.week_season) / 7

    def expected_at(self, start: datetime) -> float:
        hour, weekday = self._buckets(start)
        return self.level + self.trend * self._steps(start) + self._season(hour, weekday)

    def _steps(self, start: datetime) -> float:
        if self.last_start is None:
            return 0.0
        return max((start.timestamp() - self.last_start) / self.interval_seconds, 1.0)

    def _range(self, expected_log: float) -> tuple[float, float, float]:
        """Expected value and the range around it that all three margins allow."""
        expected = math.expm1(expected_log)
        noise = self.settings.z_threshold * max(self.scale, 0.01)
        relative = self.settings.relative_margin * abs(expected)
        money = self.settings.absolute_margin
        upper = max(math.expm1(expected_log + noise), expected + relative, expected + money)
        lower = min(math.expm1(expected_log - noise), expected - relative, expected - money)
        return expected, lower, upper

    def observe(self, start: datetime, value: float) -> Verdict:
        """Judge the point against what was learnt so far, then learn from it."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        start = start.astimezone(UTC)
        if not math.isfinite(value):
            raise ValueError(f"value must be a finite number, not {value!r}")
        if self.last_start is not None and start.timestamp() <= self.last_start:
            raise LatePointError(f"{start.isoformat()} is not after the series' last point")
        # The model lives in log space: spend varies by percentages, so a level shift scales
        # the daily pattern with it. Credits (negative) are judged but not learnt as normal.
        logged = math.log1p(max(value, 0.0))
        if self.count == 0:
            return self._first(start, value, logged)
        expected_log = self.expected_at(start)
        expected, lower, upper = self._range(expected_log)
        excess = self._excess(value, expected, lower, upper)
        warming = self.count < self.warmup
        drift, long_range = self._drift(start, value, ongoing=self.run > 0)
        drifted = drift > 1.0 >= excess  # never while warming up: the baselines are one
        if drifted:  # reported against the long baseline: what spend used to be
            expected, lower, upper = long_range
            excess = drift
        anomalous = excess > 1.0 and not warming
        if value < 0:
            self.last_start, self.count = start.timestamp(), self.count + 1
            shifted = False
        else:
            shifted = self._learn(start, logged - expected_log, anomalous)
        return Verdict(
            start=start,
            value=value,
            expected=expected,
            lower=lower,
            upper=upper,
            score=0.0 if warming else excess * excess / (1.0 + excess * excess),
            is_anomaly=anomalous,
            warming_up=warming,
            level_shift=shifted,
            drift=drifted,
        )

    def _drift(
        self, start: datetime, value: float, ongoing: bool
    ) -> tuple[float, tuple[float, float, float]]:
        """How far the level is past the long baseline's range (>1: outside), and that range.
        A new drift needs the point past it too; an ongoing anomaly only the level (so a
        noisy point does not break the run in two). The point test's three margins apply."""
        season = self._season(*self._buckets(start))
        long_range = self._range(self.long_level + season)
        level_excess = self._excess(math.expm1(self.level + season), *long_range)
        if ongoing:
            return level_excess, long_range
        return min(level_excess, self._excess(value, *long_range)), long_range

    def _excess(self, value: float, expected: float, lower: float, upper: float) -> float:
        """How far past the range edge, as a multiple of the margin (>1: outside)."""
        up = (value - expected) / max(upper - expected, 1e-12)
        down = (expected - value) / max(expected - lower, 1e-12)
        direction = self.settings.direction
        if direction is Direction.UP:
            return max(up, 0.0)
        if direction is Direction.DOWN:
            return max(down, 0.0)
        return max(up, down, 0.0)

    def _first(self, start: datetime, value: float, logged: float) -> Verdict:
        self.level, self.count, self.last_start = logged, 1, start.timestamp()
        self.long_level = logged
        self.scale = 0.1
        expected, lower, upper = self._range(logged)
        return Verdict(start, value, expected, lower, upper, 0.0, False, True)

    def _learn(self, start: datetime, residual: float, anomalous: bool) -> bool:
        steps = self._steps(start)
        level_rate, hour_rate, week_rate, scale_rate = self._rates()
        # A long gap (over a week) says nothing about the trend in between: do not extrapolate.
        self.level += self.trend * (steps if steps * self.interval_seconds <= 7 * DAY else 0)
        shifted = self._track_run(residual, anomalous)
        if shifted:
            self.level += residual  # the newest point says best where the new level is
            self.long_level, self.settle = self.level, self.settle_points  # the new normal
            self.run, self.run_sum = 0, 0.0
        else:
            bound = 3.0 * max(self.scale, 1e-9) if self.count >= self.warmup else math.inf
            clipped = max(-bound, min(bound, residual))
            previous = self.level
            self.level += level_rate * clipped
            self.trend = 0.98 * (self.trend + 0.02 * (self.level - previous - self.trend))
            hour, weekday = self._buckets(start)
            if not self.daily:
                self.hour_season[hour] += hour_rate * (1 - level_rate) * clipped
            self.week_season[weekday] += week_rate * (1 - level_rate) * clipped
            self.scale += scale_rate * (abs(clipped) - self.scale)
            self._follow_level(anomalous)
        self.count += 1
        self.last_start = start.timestamp()
        return shifted

    def _follow_level(self, anomalous: bool) -> None:
        """The long baseline stands still during an anomaly, then follows the level for
        `settle_points` (as it does while warming up); otherwise it follows slowly."""
        if anomalous:
            self.settle = self.settle_points
        elif self.count < self.warmup or self.settle > 0:
            self.long_level = self.level
            self.settle = max(self.settle - 1, 0)
        else:
            self.long_level += self._long_rate() * (self.level - self.long_level)

    def _track_run(self, residual: float, anomalous: bool) -> bool:
        """True when this point completes a run long enough to be a level shift."""
        if not anomalous or (self.run and (residual > 0) != (self.run_sum > 0)):
            self.run, self.run_sum = 0, 0.0
            return False
        self.run += 1
        self.run_sum += residual
        return self.run >= self.shift_after

    # -- persistence -------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "interval": self.interval_seconds,
            "count": self.count,
            "last": self.last_start,
            "level": self.level,
            "trend": self.trend,
            "scale": self.scale,
            "hour": self.hour_season,
            "week": self.week_season,
            "run": [self.run, self.run_sum],
            "long": [self.long_level, self.settle],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], settings: DetectorSettings) -> SeriesDetector:
        if state.get("v") not in (1, STATE_VERSION):
            raise ValueError(f"unknown detector state version {state.get('v')!r}")
        run, run_sum = state["run"]
        return cls(
            interval_seconds=int(state["interval"]),
            settings=settings,
            count=int(state["count"]),
            last_start=state["last"],
            level=float(state["level"]),
            trend=float(state["trend"]),
            scale=float(state["scale"]),
            hour_season=[float(x) for x in state["hour"]],
            week_season=[float(x) for x in state["week"]],
            run=int(run),
            run_sum=float(run_sum),
            # Version 1 had no long baseline: it starts at the level (no drift yet).
            long_level=float(state.get("long", [state["level"]])[0]),
            settle=int(state.get("long", [0, 0])[1]),
        )

    def to_text(self) -> str:
        """The state as compact text (packed doubles): cheap enough to store on every batch."""
        numbers = [
            float(self.interval_seconds),
            float(self.count),
            math.nan if self.last_start is None else self.last_start,
            self.level,
            self.trend,
            self.scale,
            float(self.run),
            self.run_sum,
            self.long_level,
            float(self.settle),
            *self.hour_season,
            *self.week_season,
        ]
        return f"p{STATE_VERSION}:" + base64.b64encode(_PACKED.pack(*numbers)).decode()

    @classmethod
    def from_text(cls, text: str, settings: DetectorSettings) -> SeriesDetector:
        """Reads this version's text, version 1's (no long baseline: it starts at the level)
        and the JSON form."""
        version, _colon, packed = text.partition(":")
        if version not in ("p1", f"p{STATE_VERSION}"):
            return cls.from_state(json.loads(text), settings)
        raw = base64.b64decode(packed)
        if version == "p1":
            old = _PACKED_V1.unpack(raw)
            values = (*old[:8], old[3], 0.0, *old[8:])  # the level is the long baseline
        else:
            values = _PACKED.unpack(raw)
        interval, count, last, level, trend, scale, run, run_sum, long_level, settle = values[:10]
        return cls(
            interval_seconds=int(interval),
            settings=settings,
            count=int(count),
            last_start=None if math.isnan(last) else last,
            level=level,
            trend=trend,
            scale=scale,
            hour_season=list(values[10:34]),
            week_season=list(values[34:41]),
            run=int(run),
            run_sum=run_sum,
            long_level=long_level,
            settle=int(settle),
        )

    @property
    def last_seen(self) -> datetime | None:
        if self.last_start is None:
            return None
        return datetime.fromtimestamp(self.last_start, UTC)
