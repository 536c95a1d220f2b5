"""Claims and leases of deliveries (store/deliveries.py) on a real SQLite state store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from finance_pack.store.deliveries import (
    Claim,
    mark_posted,
    mark_retry,
    next_retry_at,
    retry_delay,
    try_claim,
)
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade
from finance_pack.store.tables import budgeteer_posts

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
KEY = {"channel": "finops", "slot_key": "2026-W19"}
EXTRA = {"slot_at": T0, "late": False}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    return engine


def _claim(engine: Engine, replica: str, now: datetime) -> Claim | None:
    return try_claim(
        engine, budgeteer_posts, KEY, replica=replica, now=now, lease=LEASE, extra=EXTRA
    )


def test_a_first_claim_is_fresh_and_needs_no_lookup(engine: Engine) -> None:
    assert _claim(engine, "a", T0) == Claim(1, 1, maybe_posted=False)


def test_a_held_claim_cannot_be_taken_before_its_lease_runs_out(engine: Engine) -> None:
    assert _claim(engine, "a", T0) is not None
    assert _claim(engine, "b", T0) is None
    assert _claim(engine, "b", T0 + LEASE - timedelta(seconds=1)) is None


def test_a_claim_whose_lease_ran_out_is_taken_over_and_looked_up_first(engine: Engine) -> None:
    assert _claim(engine, "a", T0) is not None
    assert _claim(engine, "b", T0 + LEASE) == Claim(1, 2, maybe_posted=True)
    assert _claim(engine, "c", T0 + LEASE) is None  # b holds it now, for a new lease


def test_the_old_holder_cannot_record_a_post_after_a_takeover(engine: Engine) -> None:
    first = _claim(engine, "a", T0)
    assert first is not None and _claim(engine, "b", T0 + LEASE) is not None
    assert not mark_posted(
        engine, budgeteer_posts, first, "a", channel_id="C1", ts="1.1", posted_at=T0
    )


def test_a_posted_delivery_is_never_claimed_again(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    assert mark_posted(engine, budgeteer_posts, claim, "a", channel_id="C1", ts="1.1", posted_at=T0)
    assert _claim(engine, "b", T0 + timedelta(days=30)) is None
    assert next_retry_at(engine, budgeteer_posts) is None


def test_a_retry_is_claimable_only_when_due(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    due = mark_retry(
        engine,
        budgeteer_posts,
        claim,
        "a",
        error="x",
        now=T0,
        permanent=False,
        retry_after=timedelta(minutes=5),
    )
    assert T0 + timedelta(minutes=5) <= due <= T0 + timedelta(hours=1)
    assert _claim(engine, "b", due - timedelta(seconds=1)) is None
    assert _claim(engine, "b", due) == Claim(1, 2, maybe_posted=True)


def test_a_permanent_failure_waits_an_hour(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    due = mark_retry(engine, budgeteer_posts, claim, "a", error="x", now=T0, permanent=True)
    assert due == T0 + timedelta(hours=1)
    assert next_retry_at(engine, budgeteer_posts) == due


def test_the_next_wake_up_includes_the_lease_expiry_of_a_killed_holder(engine: Engine) -> None:
    assert _claim(engine, "killed", T0) is not None
    assert next_retry_at(engine, budgeteer_posts) == T0 + LEASE


def test_retry_delays_grow_exponentially_with_jitter_and_are_capped() -> None:
    import random

    rng = random.Random(7)
    first, third = retry_delay(1, rng), retry_delay(3, rng)
    assert timedelta(seconds=30) <= first <= timedelta(minutes=1)
    assert timedelta(minutes=2) <= third <= timedelta(minutes=4)
    assert timedelta(minutes=30) <= retry_delay(40, rng) <= timedelta(hours=1)


def test_the_next_wake_up_after_a_tick_counts_only_later_instants(engine: Engine) -> None:
    assert _claim(engine, "killed", T0) is not None
    assert next_retry_at(engine, budgeteer_posts, after=T0 + LEASE - timedelta(seconds=1)) == (
        T0 + LEASE
    )
    assert next_retry_at(engine, budgeteer_posts, after=T0 + LEASE) is None  # passed over
