"""When the Budgeteer asks to be woken: at a killed replica's lease expiry (to take its claim
over), and never again for a delivery it no longer wants. Driven on a simulated clock the way
the agent loop drives it: tick, then sleep until the instant the tick returned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from budgeteer_support import START, gateway, make_budgeteer, summaries
from sqlalchemy import Engine, select

from finance_pack.agents.budgeteer.agent import SUMMARY_EVENT
from finance_pack.clock import FakeClock
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.providers.slack import PostedMessage, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.tables import budgeteer_posts

SLOT = START + timedelta(hours=1)  # Monday 09:00 UTC
LEASE = timedelta(minutes=10)  # the Budgeteer's default
THRESHOLD_CHECKS = timedelta(minutes=15)


class KilledBeforePosting:
    """A replica's gateway that dies (as under SIGKILL) after its summary claim was taken."""

    def __init__(self, real: SlackWebGateway) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def post_message(self, *args: Any, **kwargs: Any) -> PostedMessage:
        if kwargs["metadata"].event_type == SUMMARY_EVENT:
            raise SystemExit("killed")
        return self.real.post_message(*args, **kwargs)


def test_a_claim_left_by_a_killed_replica_is_taken_over_the_moment_its_lease_expires(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    channels = ["#finops"]
    killed = make_budgeteer(
        engine, KilledBeforePosting(gateway(slack_emulator)), snapshot, "k", channels
    )
    survivor = make_budgeteer(engine, gateway(slack_emulator), snapshot, "s", channels)
    killed.tick(clock.now())
    clock.set(SLOT + timedelta(minutes=1))
    with pytest.raises(SystemExit):
        killed.tick(clock.now())  # claimed the slot, then died: its lease runs 10 minutes
    clock.advance(timedelta(minutes=1))
    due = survivor.tick(clock.now())
    assert summaries(slack_emulator) == []  # the lease still holds
    assert due == SLOT + timedelta(minutes=11)  # the lease's end, before any other reason
    clock.set(due)
    survivor.tick(clock.now())
    assert len(summaries(slack_emulator)) == 1
    with engine.connect() as connection:
        row = connection.execute(select(budgeteer_posts)).one()
    assert (row.state, row.claimed_by, row.attempts) == ("posted", "s", 2)
    assert row.posted_at == SLOT + timedelta(minutes=11)


def test_a_failed_post_for_a_channel_no_longer_configured_does_not_wake_it_every_second(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    misconfigured = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=["#nope"])
    misconfigured.tick(clock.now())
    clock.set(SLOT + timedelta(minutes=1))
    misconfigured.tick(clock.now())  # channel_not_found: retried hourly while it stays
    with engine.connect() as connection:
        assert connection.execute(select(budgeteer_posts.c.state)).scalar_one() == "failed"
    fixed = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=["#finops"])
    clock.advance(timedelta(days=3))  # the operator replaced the channel; the hour went by
    due = fixed.tick(clock.now())
    assert due == clock.now() + THRESHOLD_CHECKS  # not a second later, and again and again
