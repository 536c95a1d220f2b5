"""The weekly-cadence SLO, measured from the Budgeteer's own durable post records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from finance_pack.domain.cadence import Schedule, SlotStatus, cadence_report, slot_statuses
from finance_pack.domain.slo import SloReport
from finance_pack.store.agent_state import get_value
from finance_pack.store.tables import budgeteer_posts

SLO_NAME = "budgeteer_weekly_cadence"
WINDOWS_WEEKS = (13, 52)


def channel_statuses(
    engine: Engine, schedule: Schedule, channels: Sequence[str], now: datetime, since: datetime
) -> dict[str, list[SlotStatus]]:
    """Every due weekly slot per channel since `since`, with its outcome."""
    query = select(
        budgeteer_posts.c.channel, budgeteer_posts.c.slot_at, budgeteer_posts.c.posted_at
    ).where(budgeteer_posts.c.state == "posted", ~budgeteer_posts.c.slot_key.like("manual-%"))
    posted: dict[str, dict[datetime, datetime]] = {channel: {} for channel in channels}
    with engine.connect() as connection:
        for row in connection.execute(query):
            if row.channel in posted:
                posted[row.channel][row.slot_at] = row.posted_at
    return {channel: slot_statuses(schedule, posted[channel], since, now) for channel in channels}


def cadence_slo_reports(
    engine: Engine,
    schedule: Schedule,
    channels: Sequence[str],
    objective: Decimal,
    now: datetime,
) -> list[SloReport]:
    """Attainment over the last 13 and 52 weeks; one event per channel and weekly slot."""
    since_text = get_value(engine, "budgeteer", "since")
    reports = []
    for weeks in WINDOWS_WEEKS:
        window = f"{weeks}w"
        if since_text is None:
            reports.append(cadence_report([], objective, window, SLO_NAME))
            continue
        start = max(datetime.fromisoformat(since_text), now - timedelta(weeks=weeks))
        statuses = channel_statuses(engine, schedule, channels, now, start)
        labelled = [
            SlotStatus(s.slot, f"{channel} {s.key}", s.outcome, s.posted_at)
            for channel, items in statuses.items()
            for s in items
        ]
        reports.append(cadence_report(labelled, objective, window, SLO_NAME))
    return reports
