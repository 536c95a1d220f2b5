"""Local days of the rollup time zone as UTC instants, and the daily spend series built on
them: a day's point starts at the UTC instant of its local midnight and lasts 23, 24 or 25
hours. Rows in other currencies are converted with the rate of their month (`domain.fx`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import ceil
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from finance_pack.domain.billing_month import local_midnight_utc
from finance_pack.domain.fx import FxTable
from finance_pack.domain.instants import as_utc
from finance_pack.domain.money import CurrencyMismatchError
from finance_pack.domain.spend import SpendPoint, SpendSeries

_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)
_ZERO = Decimal(0)


class LocalDays:
    """Local days of the rollup time zone as UTC instants, and the series built on them."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        # Every series walks the same days: one zone conversion per day, not per day and budget.
        self._starts: dict[date, datetime] = {}

    def start(self, day: date) -> datetime:
        """The UTC instant `day` starts (its local midnight)."""
        instant = self._starts.get(day)
        if instant is None:
            instant = self._starts[day] = local_midnight_utc(day, self.zone)
        return instant

    def floor(self, moment: datetime) -> date:
        """The local day `moment` falls in (naive means UTC)."""
        return as_utc(moment).astimezone(self.zone).date()

    def ceil(self, moment: datetime) -> date:
        """The first local day starting at or after `moment`."""
        day = self.floor(moment)
        return day if self.start(day) == moment else day + _ONE_DAY

    def hours(self, day: date) -> int:
        """23, 24 or 25 (daylight saving time)."""
        return int((self.start(day + _ONE_DAY) - self.start(day)) / _ONE_HOUR)

    def spans(self, first: date, stop: date) -> pa.Table:
        """Each local day in [first, stop) with its naive UTC [day_start, day_end)."""
        days = [first + timedelta(days=offset) for offset in range((stop - first).days)]
        starts = [self.start(day).replace(tzinfo=None) for day in [*days, stop]]
        return pa.table(
            {
                "usage_date": pa.array(days, pa.date32()),
                "day_start": pa.array(starts[:-1], pa.timestamp("us")),
                "day_end": pa.array(starts[1:], pa.timestamp("us")),
            }
        )

    def series(
        self,
        rows: Sequence[dict[str, Any]],
        currency: str | None,
        as_of: datetime | None,
        window: tuple[datetime, datetime],
        data_start: datetime | None,
    ) -> SpendSeries:
        """Daily points over the window, zero where no rows, from the first day of data on
        (before it, no rows means no data, not zero spend); the day `as_of` falls in is
        partial."""
        currencies = sorted({row["BillingCurrency"] for row in rows})
        if currency is None and len(currencies) > 1:
            raise CurrencyMismatchError(currencies[0], currencies[1])
        if currency is None and not currencies:
            # No spend says nothing about its currency: the caller knows the billing currency.
            raise ValueError("no spend to take a currency from: pass the billing currency")
        chosen = currency or currencies[0]
        amounts: dict[date, Decimal] = {}
        for row in rows:
            amounts[row["usage_date"]] = amounts.get(row["usage_date"], _ZERO) + Decimal(
                row["amount"]
            )
        start, end = window
        horizon = min(end, as_of) if as_of else end
        day = self.floor(start)
        if data_start and self.start(day) < data_start:
            day = self.floor(data_start)
        points = []
        while self.start(day + _ONE_DAY) <= horizon:
            points.append(SpendPoint(self.start(day), amounts.pop(day, _ZERO), self.hours(day)))
            day += _ONE_DAY
        if self.start(day) < horizon:
            hours = ceil((horizon - self.start(day)) / _ONE_HOUR)
            points.append(SpendPoint(self.start(day), amounts.pop(day, _ZERO), hours))
        # Data dated after as_of (e.g. a fee row) is still spend; keep it rather than drop it.
        points += [SpendPoint(self.start(d), a, self.hours(d)) for d, a in amounts.items()]
        return SpendSeries(chosen, tuple(sorted(points, key=_start_of)), as_of)


def converted(
    rows: Sequence[dict[str, Any]], currency: str | None, fx: FxTable | None
) -> list[dict[str, Any]]:
    """Rows in `currency`, each converted with the rate of its local day's month, oldest first.

    Oldest first so that a missing rate is always reported for the earliest month that lacks
    one: the store returns rows in no set order, and the error must not depend on it.
    """
    if currency is None or fx is None:
        return list(rows)
    return [
        row
        | {
            "BillingCurrency": currency,
            "amount": fx.convert(
                Decimal(row["amount"]), row["BillingCurrency"], currency, row["usage_date"]
            ),
        }
        for row in sorted(rows, key=itemgetter("usage_date"))
    ]


def _start_of(point: SpendPoint) -> datetime:
    return point.start
