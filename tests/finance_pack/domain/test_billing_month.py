from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance_pack.domain.billing_month import BillingMonth

ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham"]


def test_month_in_kolkata_starts_at_1830_utc_the_day_before() -> None:
    month = BillingMonth(2026, 11, "Asia/Kolkata")
    assert month.start == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
    assert month.end == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)


def test_month_in_new_york_follows_daylight_saving() -> None:
    assert BillingMonth(2026, 3, "America/New_York").start == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert BillingMonth(2026, 4, "America/New_York").start == datetime(2026, 4, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "month", "days"),
    [(2024, 2, 29), (2026, 2, 28), (2000, 2, 29), (2100, 2, 28), (2026, 4, 30), (2026, 12, 31)],
)
def test_days_in_month_counts_leap_years(year: int, month: int, days: int) -> None:
    assert BillingMonth(year, month).days == days
    assert len(list(BillingMonth(year, month).dates())) == days


@given(year=st.integers(1971, 2100), month=st.integers(1, 12), tz=st.sampled_from(ZONES))
def test_month_starts_at_local_midnight_on_the_first_and_ends_where_the_next_starts(
    year: int, month: int, tz: str
) -> None:
    billing_month = BillingMonth(year, month, tz)
    local_start = billing_month.start.astimezone(billing_month.zone)
    assert (local_start.date(), local_start.hour, local_start.minute) == (
        date(year, month, 1),
        0,
        0,
    )
    assert billing_month.end == billing_month.next().start
    assert billing_month.next().previous() == billing_month
    assert 28 <= billing_month.days <= 31


def test_parse_and_format_round_trip() -> None:
    assert str(BillingMonth.parse("2026-11", "UTC")) == "2026-11"


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "nov", "2026-00"])
def test_parse_rejects_malformed_months(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected YYYY-MM|months run from 01 to 12"):
        BillingMonth.parse(text)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BillingMonth(2026, 11, "Mars/Olympus")


def test_containing_uses_the_billing_zone() -> None:
    instant = datetime(2026, 11, 30, 20, tzinfo=UTC)
    assert BillingMonth.containing(instant, "UTC") == BillingMonth(2026, 11, "UTC")
    assert BillingMonth.containing(instant, "Asia/Kolkata") == BillingMonth(
        2026, 12, "Asia/Kolkata"
    )


def test_a_parsed_month_is_in_utc_unless_a_zone_is_given() -> None:
    assert BillingMonth.parse(" 2026-11 ") == BillingMonth(2026, 11, "UTC")
    assert BillingMonth.parse("2026-11", "Europe/Berlin").tz == "Europe/Berlin"
