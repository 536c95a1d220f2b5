"""The Budgeteer's cadence: which slots are due, which summary is late or missed.

A slot is one scheduled firing of the cron expression in the schedule's time zone (weekly by
default; any cron works: monthly, twice a week). A summary posted within the grace window after
its slot is on time; later is late; never is missed. Each slot is keyed by its own fire time,
so two slots in one week are two deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from croniter import croniter

from finance_pack.domain.slo import SloReport


class SlotOutcome(StrEnum):
    ON_TIME = "on-time"
    LATE = "late"
    MISSED = "missed"
    PENDING = "pending"  # still inside its grace window, not yet posted


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str
    timezone: str = "UTC"
    grace: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise ValueError(f"not a valid cron expression: {self.cron!r}")

    def slots_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Slot instants (UTC) with start <= slot <= end."""
        zone = ZoneInfo(self.timezone)
        local_start = (start - timedelta(seconds=1)).astimezone(zone)
        iterator = croniter(self.cron, local_start)
        slots: list[datetime] = []
        while True:
            slot = iterator.get_next(datetime).astimezone(UTC)
            if slot > end:
                return slots
            slots.append(slot)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after `after` (UTC), however far away (a monthly cron)."""
        zone = ZoneInfo(self.timezone)
        upcoming: datetime = croniter(self.cron, after.astimezone(zone)).get_next(datetime)
        return upcoming.astimezone(UTC)

    def latest_slot(self, now: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        previous: datetime = croniter(
            self.cron, now.astimezone(zone) + timedelta(seconds=1)
        ).get_prev(datetime)
        return previous.astimezone(UTC)


def slot_key(slot: datetime, timezone: str) -> str:
    """`2026-11-30T09:00:00+01:00`: the slot's scheduled fire time in the schedule's zone."""
    return slot.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def slot_label(slot: datetime, timezone: str) -> str:
    """What a reader sees: `2026-W49 · Mon 30 Nov 09:00` (ISO week, local fire time)."""
    local = slot.astimezone(ZoneInfo(timezone))
    iso = local.isocalendar()
    return f"{iso.year}-W{iso.week:02d} · {local:%a %d %b %H:%M}"


#: Keys written before fire-time keys (`2026-W48`): one per ISO week.
WEEK_KEY_PATTERN = "____-W__"


def classify(
    slot: datetime, posted_at: datetime | None, now: datetime, grace: timedelta
) -> SlotOutcome:
    if posted_at is not None:
        return SlotOutcome.ON_TIME if posted_at <= slot + grace else SlotOutcome.LATE
    return SlotOutcome.PENDING if now <= slot + grace else SlotOutcome.MISSED


@dataclass(frozen=True, slots=True)
class SlotStatus:
    slot: datetime
    key: str
    outcome: SlotOutcome
    posted_at: datetime | None


def slot_statuses(
    schedule: Schedule,
    posted: Mapping[datetime, datetime],
    since: datetime,
    now: datetime,
) -> list[SlotStatus]:
    """Every slot from `since` to `now` with its outcome; `posted` maps slot instant (UTC) ->
    post time, so records keyed the old way (by ISO week) still count for their slot."""
    statuses = []
    for slot in schedule.slots_between(since, now):
        key = slot_key(slot, schedule.timezone)
        posted_at = posted.get(slot)
        statuses.append(
            SlotStatus(slot, key, classify(slot, posted_at, now, schedule.grace), posted_at)
        )
    return statuses


def cadence_report(
    statuses: Sequence[SlotStatus],
    objective: Decimal,
    window: str,
    slo: str = "budgeteer_weekly_cadence",
) -> SloReport:
    """Attainment over the slots that are due (pending slots are not yet counted)."""
    due = [s for s in statuses if s.outcome is not SlotOutcome.PENDING]
    return SloReport(
        slo=slo,
        objective=objective,
        window=window,
        events=len(due),
        good=sum(s.outcome is SlotOutcome.ON_TIME for s in due),
        bad_events=tuple(
            f"{s.key} {s.outcome.value}" for s in due if s.outcome is not SlotOutcome.ON_TIME
        ),
    )
