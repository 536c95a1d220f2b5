"""The calendar month in the billing time zone (DESIGN.md section 3).

Month boundaries are local midnights, so in `America/New_York` November starts at 04:00 UTC
and in `Asia/Kolkata` at 18:30 UTC the day before; everything inside stays UTC.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def billing_zone(key: str) -> ZoneInfo:
    """The `zoneinfo` zone for `key`, or a `ValueError` naming the bad key."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {key!r}: expected an IANA key such as UTC") from exc


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `zone`."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True, order=True)
class BillingMonth:
    """A calendar month (`year`, `month`) in the billing time zone `tz` (an IANA key)."""

    year: int
    month: int
    tz: str = "UTC"

    def __post_init__(self) -> None:
        # The problem alone: the caller that read the text names it ("month '2026-13': ...").
        if not 1 <= self.month <= 12:
            raise ValueError("months run from 01 to 12")
        if not 1 <= self.year <= 9998:
            raise ValueError("years run from 0001 to 9998")
        billing_zone(self.tz)

    @classmethod
    def parse(cls, text: str, tz: str = "UTC") -> BillingMonth:
        """`2026-11` -> November 2026 in `tz`."""
        match = _MONTH_PATTERN.match(text.strip())
        if match is None:
            raise ValueError("expected YYYY-MM, e.g. 2026-11")
        return cls(int(match.group(1)), int(match.group(2)), tz)

    @classmethod
    def containing(cls, instant: datetime, tz: str = "UTC") -> BillingMonth:
        """The billing month that contains the aware `instant`."""
        local = instant.astimezone(billing_zone(tz))
        return cls(local.year, local.month, tz)

    @property
    def zone(self) -> ZoneInfo:
        return billing_zone(self.tz)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        """Days in the month: 28 to 31."""
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def start(self) -> datetime:
        """The UTC instant of local midnight on the 1st."""
        return local_midnight_utc(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        """The UTC instant the next month starts (exclusive end)."""
        return self.next().start

    def next(self) -> BillingMonth:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return BillingMonth(year, month, self.tz)

    def previous(self) -> BillingMonth:
        year, month = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        return BillingMonth(year, month, self.tz)

    def dates(self) -> Iterator[date]:
        """Every local date of the month, in order."""
        for offset in range(self.days):
            yield self.first_day + timedelta(days=offset)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
