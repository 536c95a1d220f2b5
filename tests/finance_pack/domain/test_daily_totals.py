from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.spend import SpendPoint


def _hourly(start: datetime, hours: int, amount: str = "1.00") -> list[SpendPoint]:
    return [SpendPoint(start + timedelta(hours=h), Decimal(amount)) for h in range(hours)]


def test_only_complete_utc_days_are_returned() -> None:
    points = _hourly(datetime(2026, 11, 1, tzinfo=UTC), 24 * 2 + 5)
    totals = local_daily_totals(points, ZoneInfo("UTC"), datetime(2026, 11, 3, 5, tzinfo=UTC))
    assert totals == {date(2026, 11, 1): Decimal("24.00"), date(2026, 11, 2): Decimal("24.00")}


def test_local_days_follow_the_billing_zone_and_skip_a_partial_first_day() -> None:
    # Data from 00:00 UTC: in Kolkata (UTC+5:30) the first local day is only partly covered.
    points = _hourly(datetime(2026, 11, 1, tzinfo=UTC), 72)
    as_of = datetime(2026, 11, 4, tzinfo=UTC)
    totals = local_daily_totals(points, ZoneInfo("Asia/Kolkata"), as_of)
    assert list(totals) == [date(2026, 11, 2), date(2026, 11, 3)]
    assert totals[date(2026, 11, 2)] == Decimal("24.00")


def test_days_without_rows_inside_the_data_are_zero_not_missing() -> None:
    points = [
        SpendPoint(datetime(2026, 11, 1, tzinfo=UTC), Decimal("5"), hours=24),
        SpendPoint(datetime(2026, 11, 3, tzinfo=UTC), Decimal("-2.5"), hours=24),
    ]
    totals = local_daily_totals(points, ZoneInfo("UTC"), datetime(2026, 11, 4, tzinfo=UTC))
    assert totals == {
        date(2026, 11, 1): Decimal("5"),
        date(2026, 11, 2): Decimal(0),
        date(2026, 11, 3): Decimal("-2.5"),
    }


def test_no_points_give_no_days() -> None:
    assert local_daily_totals([], ZoneInfo("UTC"), datetime(2026, 11, 4, tzinfo=UTC)) == {}


def test_points_out_of_order_after_the_cutoff_do_not_hide_earlier_ones() -> None:
    day = datetime(2026, 11, 2, tzinfo=UTC)
    points = [
        SpendPoint(day + timedelta(days=1, hours=1), Decimal("99"), hours=1),  # after as_of
        SpendPoint(day, Decimal("5"), hours=1),
        SpendPoint(day + timedelta(hours=23), Decimal("7"), hours=1),
    ]
    totals = local_daily_totals(points, ZoneInfo("UTC"), day + timedelta(days=1))
    assert totals == {date(2026, 11, 2): Decimal("12")}
