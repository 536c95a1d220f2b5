"""Claims and leases of deliveries (store/deliveries.py) on a real SQLite state store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from finance_pack.store.deliveries import (
    Claim,
    adopt_week_keyed_post,
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
    rng = random.Random(7)
    first, third = retry_delay(1, rng), retry_delay(3, rng)
    assert timedelta(seconds=30) <= first <= timedelta(minutes=1)
    assert timedelta(minutes=2) <= third <= timedelta(minutes=4)
    assert timedelta(minutes=30) <= retry_delay(40, rng) <= timedelta(hours=1)


def test_a_week_keyed_post_is_re_keyed_to_its_fire_time_once(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    assert mark_posted(engine, budgeteer_posts, claim, "a", channel_id="C1", ts="1.1", posted_at=T0)
    new_key = "2026-05-04T09:00:00Z"
    assert adopt_week_keyed_post(engine, "other-channel", T0, new_key) == 0
    assert adopt_week_keyed_post(engine, "finops", T0 + timedelta(hours=1), new_key) == 0
    assert adopt_week_keyed_post(engine, "finops", T0, new_key) == 1
    assert adopt_week_keyed_post(engine, "finops", T0, "2026-05-04T09:00:00+00:00") == 0
    fire_time_key = {"channel": "finops", "slot_key": new_key}
    assert (
        try_claim(engine, budgeteer_posts, fire_time_key, replica="b", now=T0, lease=LEASE) is None
    )
    assert try_claim(
        engine, budgeteer_posts, KEY, replica="b", now=T0, lease=LEASE, extra=EXTRA
    ) == Claim(2, 1, maybe_posted=False)


def _row(engine: Engine) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(budgeteer_posts)).one()


def test_a_fresh_claim_records_who_holds_it_until_when(engine: Engine) -> None:
    assert _claim(engine, "a", T0) is not None
    row = _row(engine)
    assert (row.state, row.claimed_by, row.lease_until, row.attempts, row.created_at) == (
        "claimed",
        "a",
        T0 + LEASE,
        1,
        T0,
    )
    assert (row.slot_at, row.late) == (T0, False)


def test_a_failure_is_recorded_with_its_error_cut_to_2000_characters(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    due = mark_retry(
        engine,
        budgeteer_posts,
        claim,
        "a",
        error="e" * 2500,
        now=T0,
        permanent=False,
        retry_after=timedelta(hours=2),  # longer than the backoff: the server's word wins
    )
    assert due == T0 + timedelta(hours=2)
    row = _row(engine)
    assert (row.state, row.next_attempt_at, row.lease_until) == ("retry", due, T0)
    assert row.last_error == "e" * 2000
    permanent = _claim(engine, "b", due)
    assert permanent is not None
    mark_retry(
        engine, budgeteer_posts, permanent, "b", error="channel_not_found", now=due, permanent=True
    )
    assert (_row(engine).state, _row(engine).last_error) == ("failed", "channel_not_found")


def test_only_the_holder_can_give_a_claim_back(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    mark_retry(engine, budgeteer_posts, claim, "intruder", error="x", now=T0, permanent=True)
    assert (_row(engine).state, _row(engine).claimed_by) == ("claimed", "a")


def test_a_post_clears_the_error_and_records_where_it_went(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    mark_retry(engine, budgeteer_posts, claim, "a", error="x", now=T0, permanent=True)
    retry = _claim(engine, "a", T0 + timedelta(hours=1))
    assert retry is not None
    posted_at = T0 + timedelta(hours=1, seconds=3)
    assert mark_posted(
        engine, budgeteer_posts, retry, "a", channel_id="C9", ts="17.5", posted_at=posted_at
    )
    row = _row(engine)
    assert (row.state, row.channel_id, row.message_ts, row.posted_at) == (
        "posted",
        "C9",
        "17.5",
        posted_at,
    )
    assert (row.last_error, row.next_attempt_at) == (None, None)


def test_the_backoff_doubles_per_attempt_from_one_minute() -> None:
    class _Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    assert [retry_delay(n, _Top()) for n in (0, 1, 2, 3, 7, 8)] == [
        timedelta(minutes=1),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),  # 64 minutes, capped
        timedelta(hours=1),
    ]


def test_the_jitter_takes_off_at_most_half() -> None:
    class _Bottom(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return a

    assert retry_delay(3, _Bottom()) == timedelta(minutes=2)


def test_recording_one_claim_leaves_the_others_of_the_same_replica_alone(engine: Engine) -> None:
    first = _claim(engine, "a", T0)
    other_key = {"channel": "finops", "slot_key": "2026-W20"}
    second = try_claim(
        engine, budgeteer_posts, other_key, replica="a", now=T0, lease=LEASE, extra=EXTRA
    )
    assert first is not None and second is not None
    assert mark_posted(engine, budgeteer_posts, first, "a", channel_id="C", ts="1", posted_at=T0)
    assert _states(engine) == {first.id: "posted", second.id: "claimed"}
    mark_retry(engine, budgeteer_posts, second, "a", error="x", now=T0, permanent=True)
    assert _states(engine) == {first.id: "posted", second.id: "failed"}


def _states(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(budgeteer_posts.c.id, budgeteer_posts.c.state))
        return {row.id: row.state for row in rows}


def test_the_next_wake_up_is_the_earliest_retry_due(engine: Engine) -> None:
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
        retry_after=timedelta(minutes=30),
    )
    assert next_retry_at(engine, budgeteer_posts) == due


def test_the_next_wake_up_after_a_tick_counts_only_later_instants(engine: Engine) -> None:
    assert _claim(engine, "killed", T0) is not None
    assert next_retry_at(engine, budgeteer_posts, after=T0 + LEASE - timedelta(seconds=1)) == (
        T0 + LEASE
    )
    assert next_retry_at(engine, budgeteer_posts, after=T0 + LEASE) is None  # passed over


def test_a_claim_given_back_cannot_be_recorded_as_posted(engine: Engine) -> None:
    claim = _claim(engine, "a", T0)
    assert claim is not None
    mark_retry(engine, budgeteer_posts, claim, "a", error="x", now=T0, permanent=False)
    assert not mark_posted(
        engine, budgeteer_posts, claim, "a", channel_id="C", ts="1", posted_at=T0
    )
    assert _states(engine) == {claim.id: "retry"}
