"""Turn a `SpendSeries` into spend per local day in the billing time zone (complete days only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from finance_pack.domain.billing_month import local_midnight_utc
from finance_pack.domain.spend import SpendPoint


def local_daily_totals(
    points: Iterable[SpendPoint],
    zone: ZoneInfo,
    as_of: datetime,
    *,
    data_start: datetime | None = None,
) -> dict[date, Decimal]:
    """Exact spend per local date, for every local day that is complete.

    A day counts only if data covers all of it: it starts at or after `data_start` (the first
    point's start by default) and ends at or before `as_of`. Days inside that range without
    any point are 0: no rows means no spend, which forecasters must see as such. A point is
    attributed to the local day its charge period starts in, as MTD attributes it to a month.
    """
    totals: dict[date, Decimal] = {}
    first_start: datetime | None = None
    day_span: _LocalDay | None = None
    for point in points:
        if point.start >= as_of:
            continue
        if day_span is None or not day_span.start <= point.start < day_span.end:
            # Points come hour by hour: a zone conversion per local day, not per point.
            day_span = _LocalDay.containing(point.start, zone)
        totals[day_span.day] = totals.get(day_span.day, Decimal(0)) + point.amount
        first_start = point.start if first_start is None else min(first_start, point.start)
    coverage_start = data_start or first_start
    if coverage_start is None:
        return {}
    first_day = _first_full_day(coverage_start, zone)
    result: dict[date, Decimal] = {}
    day = first_day
    while local_midnight_utc(day + timedelta(days=1), zone) <= as_of:
        result[day] = totals.get(day, Decimal(0))
        day += timedelta(days=1)
    return result


@dataclass(frozen=True, slots=True)
class _LocalDay:
    day: date
    start: datetime
    end: datetime

    @classmethod
    def containing(cls, instant: datetime, zone: ZoneInfo) -> _LocalDay:
        day = instant.astimezone(zone).date()
        return cls(
            day, local_midnight_utc(day, zone), local_midnight_utc(day + timedelta(days=1), zone)
        )


def _first_full_day(instant: datetime, zone: ZoneInfo) -> date:
    """The first local date starting at or after `instant`."""
    local_day = instant.astimezone(zone).date()
    if local_midnight_utc(local_day, zone) >= instant:
        return local_day
    return local_day + timedelta(days=1)
