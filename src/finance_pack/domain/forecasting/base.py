"""The forecaster interface: daily spend in, month-end forecast (and interval) out."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ForecastRequest:
    """Forecast the total of month (`year`, `month`) knowing the days before `cutoff`.

    `daily` maps local dates in the billing time zone to exact spend; it may hold earlier
    months (forecasters learn from them). Only days before `cutoff` may be used: `cutoff` is
    the first local day not yet complete, between the 1st and the 1st of the next month.
    Results are rounded to `quantum` (the currency's minor unit).
    """

    daily: Mapping[date, Decimal]
    year: int
    month: int
    cutoff: date
    quantum: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if not self.first_day <= self.cutoff <= self.end_day:
            raise ValueError(
                f"cutoff {self.cutoff} outside {self.year:04d}-{self.month:02d} "
                f"(expected {self.first_day} to {self.end_day})"
            )

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def end_day(self) -> date:
        """The 1st of the next month (exclusive)."""
        return self.first_day + timedelta(days=self.days_in_month)

    @property
    def observed_days(self) -> int:
        """Complete days of the month seen so far."""
        return (self.cutoff - self.first_day).days

    def month_to_date(self) -> Decimal:
        """Exact spend of the observed days of the month."""
        return sum(
            (amount for day, amount in self.daily.items() if self.first_day <= day < self.cutoff),
            Decimal(0),
        )

    def rounded(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Forecast:
    """A month-end forecast; `low`/`high` bound the 80 % prediction interval when known.

    `forecaster` names the forecaster; `fallback` says what it fell back to, and why, when it
    could not use its full method (too little history), else None.
    """

    point: Decimal
    low: Decimal | None
    high: Decimal | None
    forecaster: str
    fallback: str | None = None


class Forecaster(Protocol):
    """Anything with a `name` that forecasts a month-end total; `None` when it cannot."""

    @property
    def name(self) -> str: ...

    def forecast(self, request: ForecastRequest) -> Forecast | None: ...
