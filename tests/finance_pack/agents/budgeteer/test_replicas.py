"""Two Budgeteer replicas on one PostgreSQL state store post each slot exactly once.

Ticking both at the same instant rarely lands one replica's claim attempt inside the other's
post, so every other week one replica is held mid-post (claim taken, message not yet in Slack)
while the other ticks: only the lease keeps that second replica from posting the slot again.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from budgeteer_support import CHANNELS, SCHEDULE, START, gateway, make_budgeteer, summaries
from sqlalchemy import select

from finance_pack.agents.budgeteer.agent import SUMMARY_EVENT, Budgeteer
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.cadence import slot_key
from finance_pack.providers.slack import PostedMessage, SlackGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade
from finance_pack.store.tables import budgeteer_posts

WEEKS = 8
WAIT_SECONDS = 60  # a safety net against a hung test; the events come in milliseconds


class HeldMidPost:
    """The real gateway, except that once `hold()` is called the next summary post stops
    before reaching Slack until `release()`: its replica holds the claim, nothing is posted."""

    def __init__(self, real: SlackGateway) -> None:
        self.real = real
        self._armed = False
        self.holding = threading.Event()
        self._released = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def hold(self) -> None:
        self._armed, self.holding, self._released = True, threading.Event(), threading.Event()

    def release(self) -> None:
        self._released.set()

    def post_message(self, *args: Any, **kwargs: Any) -> PostedMessage:
        metadata = kwargs.get("metadata")
        if self._armed and metadata is not None and metadata.event_type == SUMMARY_EVENT:
            self._armed = False
            self.holding.set()
            assert self._released.wait(WAIT_SECONDS)
        return self.real.post_message(*args, **kwargs)


def tick_while_the_other_holds_a_claim(
    holder: Budgeteer, held: HeldMidPost, other: Budgeteer, now: datetime
) -> None:
    held.hold()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(holder.tick, now)
        assert held.holding.wait(WAIT_SECONDS)  # holder claimed a summary and is posting it
        try:
            other.tick(now)  # same instant, the claim is in flight: the lease must stop it
        finally:
            held.release()
        pending.result()


@pytest.mark.postgres
def test_two_replicas_on_postgres_post_each_slot_exactly_once_while_racing(
    postgres_url: str, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    upgrade(make_engine(postgres_url))
    gateways = {name: HeldMidPost(gateway(slack_emulator)) for name in ("a", "b")}
    replicas = {
        name: make_budgeteer(make_engine(postgres_url), gw, snapshot, replica=name)
        for name, gw in gateways.items()
    }
    a, b = replicas["a"], replicas["b"]
    now = START - timedelta(hours=1)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(Budgeteer.tick, (a, b), (now, now)))
        for week in range(WEEKS):
            slot = SCHEDULE.next_slot(now)
            now = slot + timedelta(minutes=1)
            if week % 2 == 0:  # one replica mid-post, alternately a and b
                holder, other = (a, b) if week % 4 == 0 else (b, a)
                tick_while_the_other_holds_a_claim(holder, gateways[holder.replica], other, now)
            else:  # both at the same instant, free to interleave as they will
                list(pool.map(Budgeteer.tick, (a, b), (now, now)))
            for hours in (2, 30, 100):  # later in the week: nothing is due again
                later = slot + timedelta(hours=hours)
                list(pool.map(Budgeteer.tick, (a, b), (later, later)))
            now = slot + timedelta(hours=100)

    slots = [slot_key(s, "UTC") for s in SCHEDULE.slots_between(START, now)]
    assert len(slots) == WEEKS
    for channel in CHANNELS:
        posted = [
            m["metadata"]["event_payload"]["slot"]
            for m in summaries(slack_emulator)
            if "#" + m["channel_name"] == channel
        ]
        assert sorted(posted) == sorted(slots)  # every slot, exactly once
    with make_engine(postgres_url).connect() as connection:
        rows = list(connection.execute(select(budgeteer_posts)))
    assert {row.state for row in rows} == {"posted"}
    assert {row.claimed_by for row in rows} == {"a", "b"}  # both replicas did post
    assert a.run_now(now, ["#finops"]) == ["#finops"]  # manual keys fit the column
