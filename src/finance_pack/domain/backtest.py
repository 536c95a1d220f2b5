"""Replay past months day by day and score each forecaster's month-end forecasts.

Day k of a month is the forecast made once k days are complete (elapsed days = k, as the KPI
report counts them), seeing only those days and the months before, as far back as a live
forecast fetches (`HISTORY_DAYS_WANTED`): the back-test scores the forecaster the product
runs. Days 1 to the month's second-to-last day are scored; on the last day nothing is left
to forecast.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from finance_pack.domain.forecasting import (
    FORECASTERS,
    HISTORY_DAYS_WANTED,
    Forecaster,
    ForecastRequest,
)

MAPE_WINDOW = (5, 25)


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """How one forecaster did: MAPE (%) by elapsed day, its mean over days 5-25, its bias (mean
    signed error (forecast - actual) / actual in %, over days 5-25: negative means it forecast
    too low), and the share of forecasts whose 80 % interval held the actual month-end (None
    without one)."""

    forecaster: str
    months: int
    series: int
    mape_by_day: dict[int, float] = field(default_factory=dict)
    mape_5_25: float | None = None
    bias_5_25: float | None = None
    interval_coverage: float | None = None

    def to_json_dict(self) -> dict[str, object]:
        return {
            "forecaster": self.forecaster,
            "months": self.months,
            "series": self.series,
            "mape_by_day": {str(day): value for day, value in sorted(self.mape_by_day.items())},
            "mape_5_25": self.mape_5_25,
            "bias_5_25": self.bias_5_25,
            "interval_coverage": self.interval_coverage,
        }


@dataclass
class _Tally:
    errors_by_day: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    signed_in_window: list[float] = field(default_factory=list)
    covered: int = 0
    with_interval: int = 0


def complete_months(daily: Mapping[date, Decimal]) -> list[tuple[int, int]]:
    """The months (year, month) for which every day is present, oldest first."""
    days_by_month: dict[tuple[int, int], int] = defaultdict(int)
    for day in daily:
        days_by_month[(day.year, day.month)] += 1
    return sorted(
        month for month, count in days_by_month.items() if count == calendar.monthrange(*month)[1]
    )


def backtest(
    histories: Sequence[Mapping[date, Decimal]],
    months: int,
    forecasters: Mapping[str, Forecaster] = FORECASTERS,
    on_month: Callable[[int, int], None] | None = None,
) -> list[BacktestResult]:
    """Score `forecasters` on the last `months` complete months of each daily history;
    `on_month(done, total)` after each month of each history is replayed (a progress bar)."""
    tallies = {name: _Tally() for name in forecasters}
    replayed: set[tuple[int, int]] = set()
    chosen = [complete_months(daily)[-months:] if months > 0 else [] for daily in histories]
    total, done = sum(len(months_of) for months_of in chosen), 0
    for daily, months_of in zip(histories, chosen, strict=True):
        ordered = sorted(daily.items())
        for year, month in months_of:
            replayed.add((year, month))
            _replay_month(ordered, year, month, forecasters, tallies)
            done += 1
            if on_month is not None:
                on_month(done, total)
    return [
        _summarise(name, tally, len(replayed), len(histories)) for name, tally in tallies.items()
    ]


def _replay_month(
    ordered: list[tuple[date, Decimal]],
    year: int,
    month: int,
    forecasters: Mapping[str, Forecaster],
    tallies: dict[str, _Tally],
) -> None:
    first_day = date(year, month, 1)
    days = calendar.monthrange(year, month)[1]
    dates = [day for day, _ in ordered]
    month_start = bisect_left(dates, first_day)
    fetched = bisect_left(dates, first_day - timedelta(days=HISTORY_DAYS_WANTED))
    actual = sum((amount for _, amount in ordered[month_start : month_start + days]), Decimal(0))
    if actual == 0:
        return  # a percentage error of a zero month means nothing
    for elapsed in range(1, days):
        cutoff = first_day + timedelta(days=elapsed)
        seen = dict(ordered[fetched : month_start + elapsed])
        request = ForecastRequest(seen, year, month, cutoff)
        for name, forecaster in forecasters.items():
            forecast = forecaster.forecast(request)
            if forecast is None:
                continue
            tally = tallies[name]
            signed = float((forecast.point - actual) / abs(actual))
            tally.errors_by_day[elapsed].append(abs(signed))
            if MAPE_WINDOW[0] <= elapsed <= MAPE_WINDOW[1]:
                tally.signed_in_window.append(signed)
            if forecast.low is not None and forecast.high is not None:
                tally.with_interval += 1
                tally.covered += forecast.low <= actual <= forecast.high


def _summarise(name: str, tally: _Tally, months: int, series: int) -> BacktestResult:
    mape_by_day = {
        day: round(100 * sum(errors) / len(errors), 2)
        for day, errors in sorted(tally.errors_by_day.items())
    }
    first, last = MAPE_WINDOW
    window = [value for day, value in mape_by_day.items() if first <= day <= last]
    signed = tally.signed_in_window
    return BacktestResult(
        forecaster=name,
        months=months,
        series=series,
        mape_by_day=mape_by_day,
        mape_5_25=round(sum(window) / len(window), 2) if window else None,
        bias_5_25=round(100 * sum(signed) / len(signed), 2) if signed else None,
        interval_coverage=(
            round(tally.covered / tally.with_interval, 4) if tally.with_interval else None
        ),
    )
