"""Claimed deliveries: the durable state that makes a Slack post happen exactly once.

A delivery (a week's summary for a channel, a threshold alert) is a row with a unique key.
A replica claims it by inserting the row, or by taking over a row whose lease ran out or
whose retry is due, with a conditional UPDATE that only one replica can win on SQLite and
PostgreSQL alike. Whoever takes over a row that was claimed before must look the message up
in Slack first: the previous holder may have posted and died before recording it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, func, select
from sqlalchemy.exc import IntegrityError

from finance_pack.domain.cadence import WEEK_KEY_PATTERN
from finance_pack.store.tables import budgeteer_posts

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int
    maybe_posted: bool  # an earlier attempt may have reached Slack: look it up first


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter, capped at an hour."""
    ceiling: timedelta = min(RETRY_CAP, RETRY_BASE * int(2 ** min(max(attempts - 1, 0), 16)))
    fraction = (rng or random.Random()).uniform(0.5, 1.0)
    return ceiling * fraction


def try_claim(
    engine: Engine,
    table: Table,
    key: Mapping[str, Any],
    *,
    replica: str,
    now: datetime,
    lease: timedelta,
    extra: Mapping[str, Any] | None = None,
) -> Claim | None:
    """Claim the delivery named by `key`, or None when it is done, held, or not yet due."""
    where = and_(*(table.c[name] == value for name, value in key.items()))
    try:
        with engine.begin() as connection:
            row = connection.execute(select(table).where(where)).first()
            if row is None:
                values = {
                    **key,
                    **(extra or {}),
                    "state": "claimed",
                    "claimed_by": replica,
                    "lease_until": now + lease,
                    "attempts": 1,
                    "created_at": now,
                }
                inserted = connection.execute(table.insert().values(**values))
                new_id = inserted.inserted_primary_key[0]  # type: ignore[index]
                return Claim(int(new_id), 1, maybe_posted=False)
            if not _claimable(row, now):
                return None
            taken = connection.execute(
                table.update()
                .where(
                    table.c.id == row.id,
                    table.c.state == row.state,
                    table.c.claimed_by == row.claimed_by,
                    table.c.lease_until == row.lease_until,
                )
                .values(
                    state="claimed",
                    claimed_by=replica,
                    lease_until=now + lease,
                    attempts=row.attempts + 1,
                )
            )
            if taken.rowcount != 1:
                return None
            return Claim(row.id, row.attempts + 1, maybe_posted=True)
    except IntegrityError:
        return None  # another replica inserted the row first: it holds the claim


def _claimable(row: Any, now: datetime) -> bool:
    if row.state == "posted":
        return False
    if row.state == "claimed":
        return bool(row.lease_until <= now)  # its holder died or hung
    return row.next_attempt_at is None or row.next_attempt_at <= now


def mark_posted(
    engine: Engine,
    table: Table,
    claim: Claim,
    replica: str,
    *,
    channel_id: str,
    ts: str,
    posted_at: datetime,
) -> bool:
    """Record the post; False when this replica no longer holds the claim."""
    with engine.begin() as connection:
        result = connection.execute(
            table.update()
            .where(
                table.c.id == claim.id, table.c.claimed_by == replica, table.c.state == "claimed"
            )
            .values(
                state="posted",
                channel_id=channel_id,
                message_ts=ts,
                posted_at=posted_at,
                last_error=None,
                next_attempt_at=None,
            )
        )
        return result.rowcount == 1


def mark_retry(
    engine: Engine,
    table: Table,
    claim: Claim,
    replica: str,
    *,
    error: str,
    now: datetime,
    permanent: bool,
    retry_after: timedelta | None = None,
) -> datetime:
    """Give the claim back with the time of the next attempt; the delivery is never dropped.

    A permanent error (channel not found, bad token) waits for an operator's fix, so it is
    retried hourly instead of in a tight loop.
    """
    delay = RETRY_CAP if permanent else max(retry_delay(claim.attempts), retry_after or timedelta())
    next_at = now + delay
    with engine.begin() as connection:
        connection.execute(
            table.update()
            .where(table.c.id == claim.id, table.c.claimed_by == replica)
            .values(
                state="failed" if permanent else "retry",
                last_error=error[:2000],
                next_attempt_at=next_at,
                lease_until=now,
            )
        )
    return next_at


def next_retry_at(
    engine: Engine, table: Table, *, after: datetime | None = None
) -> datetime | None:
    """When a delivery next becomes claimable: a retry falling due, or the lease running out
    on a claim whose holder may have been killed (its work is then taken over).

    With `after` (the instant an agent just ticked at), only later instants count: that tick
    tried every delivery it still wants, and one it passed over (a slot gone by, a channel
    removed from the config) must not wake the agent again and again.
    """
    retry_due: ColumnElement[bool] = table.c.state.in_(("retry", "failed"))
    lease_held: ColumnElement[bool] = table.c.state == "claimed"
    if after is not None:
        retry_due = and_(retry_due, table.c.next_attempt_at > after)
        lease_held = and_(lease_held, table.c.lease_until > after)
    with engine.connect() as connection:
        retry = connection.execute(select(func.min(table.c.next_attempt_at)).where(retry_due))
        lease = connection.execute(select(func.min(table.c.lease_until)).where(lease_held))
        instants = (retry.scalar(), lease.scalar())
    return min((value for value in instants if value is not None), default=None)


def adopt_week_keyed_post(engine: Engine, channel: str, slot_at: datetime, key: str) -> int:
    """Give a weekly post recorded under its old ISO-week key (`2026-W48`) its fire-time key.

    Posts are keyed by their slot's fire time now; the slot instant was always stored, so the
    old record of the same slot is found by it and the claim then sees it (posted, or a retry
    in progress) instead of posting that slot a second time. Returns rows re-keyed (0 or 1).
    """
    with engine.begin() as connection:
        result = connection.execute(
            budgeteer_posts.update()
            .where(
                budgeteer_posts.c.channel == channel,
                budgeteer_posts.c.slot_at == slot_at,
                budgeteer_posts.c.slot_key.like(WEEK_KEY_PATTERN),
            )
            .values(slot_key=key)
        )
        return int(result.rowcount)
