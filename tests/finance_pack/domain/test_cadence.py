from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from finance_pack.domain.cadence import (
    Schedule,
    SlotOutcome,
    SlotStatus,
    cadence_report,
    classify,
    slot_key,
    slot_label,
    slot_statuses,
)

MONDAY_9 = Schedule("0 9 * * MON", "UTC", timedelta(hours=6))


def test_weekly_slots_are_mondays_at_nine() -> None:
    slots = MONDAY_9.slots_between(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC)
    )
    assert [s.day for s in slots] == [2, 9, 16, 23, 30]
    assert all(s.hour == 9 and s.weekday() == 0 for s in slots)


def test_slots_follow_the_schedule_time_zone_across_dst() -> None:
    schedule = Schedule("0 9 * * MON", "America/New_York")
    slots = schedule.slots_between(
        datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
    )
    # 09:00 New York is 13:00 UTC in EDT and 14:00 UTC after DST ends on 1 November 2026.
    assert [s.hour for s in slots] == [13, 14, 14]


def test_latest_slot_is_at_or_before_now() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert MONDAY_9.latest_slot(now) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert MONDAY_9.latest_slot(datetime(2026, 11, 23, 9, tzinfo=UTC)) == datetime(
        2026, 11, 23, 9, tzinfo=UTC
    )


def test_slot_key_is_the_fire_time_in_the_schedule_zone() -> None:
    assert slot_key(datetime(2026, 11, 23, 9, tzinfo=UTC), "UTC") == "2026-11-23T09:00:00+00:00"
    # Sunday 23:30 UTC is already Monday 08:30 in Tokyo.
    assert (
        slot_key(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "Asia/Tokyo")
        == "2026-11-23T08:30:00+09:00"
    )


def test_two_slots_in_one_week_have_two_keys() -> None:
    twice = Schedule("0 9 * * MON,THU", "Europe/Paris")
    slots = twice.slots_between(
        datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC)
    )
    assert [slot_key(s, "Europe/Paris") for s in slots] == [
        "2026-11-23T09:00:00+01:00",
        "2026-11-26T09:00:00+01:00",
    ]


def test_a_monthly_schedule_has_a_next_slot_weeks_away() -> None:
    monthly = Schedule("0 9 1 * *", "UTC")
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert monthly.next_slot(now) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert monthly.latest_slot(now) == datetime(2026, 11, 1, 9, tzinfo=UTC)


def test_outcomes_on_time_late_missed_pending() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    posted = {
        datetime(2026, 11, 2, 9, tzinfo=UTC): datetime(2026, 11, 2, 9, 1, tzinfo=UTC),
        datetime(2026, 11, 9, 9, tzinfo=UTC): datetime(2026, 11, 10, 9, tzinfo=UTC),  # late
    }
    outcomes = [s.outcome for s in slot_statuses(MONDAY_9, posted, start, now)]
    assert outcomes == [
        SlotOutcome.ON_TIME,
        SlotOutcome.LATE,
        SlotOutcome.MISSED,
        SlotOutcome.PENDING,
    ]
    report = cadence_report(slot_statuses(MONDAY_9, posted, start, now), Decimal("0.95"), "13w")
    assert (report.events, report.good) == (3, 1)
    assert report.bad_events == (
        "2026-11-09T09:00:00+00:00 late",
        "2026-11-16T09:00:00+00:00 missed",
    )


def test_invalid_cron_is_refused() -> None:
    with pytest.raises(ValueError, match="cron"):
        Schedule("every monday")


def test_a_post_exactly_at_the_end_of_grace_is_on_time_and_now_at_it_still_pending() -> None:
    slot = datetime(2026, 11, 2, 9, tzinfo=UTC)
    grace_end = slot + timedelta(hours=6)
    assert classify(slot, grace_end, grace_end, timedelta(hours=6)) is SlotOutcome.ON_TIME
    late = grace_end + timedelta(seconds=1)
    assert classify(slot, late, late, timedelta(hours=6)) is SlotOutcome.LATE
    assert classify(slot, None, grace_end, timedelta(hours=6)) is SlotOutcome.PENDING
    assert classify(slot, None, late, timedelta(hours=6)) is SlotOutcome.MISSED


def test_slot_statuses_carry_the_key_and_the_post_time() -> None:
    posted_at = datetime(2026, 11, 2, 9, 1, tzinfo=UTC)
    statuses = slot_statuses(
        MONDAY_9,
        {datetime(2026, 11, 2, 9, tzinfo=UTC): posted_at},
        datetime(2026, 11, 2, 9, tzinfo=UTC),
        datetime(2026, 11, 9, 9, tzinfo=UTC),
    )
    assert statuses == [
        SlotStatus(
            datetime(2026, 11, 2, 9, tzinfo=UTC),
            "2026-11-02T09:00:00+00:00",
            SlotOutcome.ON_TIME,
            posted_at,
        ),
        SlotStatus(
            datetime(2026, 11, 9, 9, tzinfo=UTC),
            "2026-11-09T09:00:00+00:00",
            SlotOutcome.PENDING,
            None,
        ),
    ]


def test_slot_label_shows_the_iso_week_and_local_fire_time() -> None:
    slot = datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert slot_label(slot, "Europe/Berlin") == "2026-W49 · Mon 30 Nov 09:00"
    assert slot_label(datetime(2027, 1, 1, 9, tzinfo=UTC), "UTC") == "2026-W53 · Fri 01 Jan 09:00"


def test_the_cadence_report_is_named_after_its_slo() -> None:
    report = cadence_report([], Decimal("0.95"), "13w")
    assert (report.slo, report.window, report.events, report.attainment) == (
        "budgeteer_weekly_cadence",
        "13w",
        0,
        None,
    )
    assert cadence_report([], Decimal("0.9"), "4w", slo="monthly").slo == "monthly"


def test_a_slot_exactly_at_the_start_is_included_and_slots_are_utc() -> None:
    slots = MONDAY_9.slots_between(
        datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 9, 8, 59, tzinfo=UTC)
    )
    assert slots == [datetime(2026, 11, 2, 9, tzinfo=UTC)]
    assert slots[0].tzinfo is UTC


def test_next_and_latest_slots_are_utc_instants_of_the_schedule_zone() -> None:
    berlin = Schedule("0 9 * * MON", "Europe/Berlin")
    after = datetime(2026, 11, 23, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
    upcoming = berlin.next_slot(after)
    assert upcoming == datetime(2026, 11, 30, 8, tzinfo=UTC) and upcoming.tzinfo is UTC
    latest = berlin.latest_slot(after)
    assert latest == after and latest.tzinfo is UTC
