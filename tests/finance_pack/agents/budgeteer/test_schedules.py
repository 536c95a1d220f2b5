"""The Budgeteer on schedules other than weekly, and its delivery keys across an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from finance_pack.agents.budgeteer.agent import Budgeteer
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import BudgetFailure
from finance_pack.domain.cadence import Schedule
from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.services.cadence_slo import cadence_slo_reports
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade
from finance_pack.store.tables import budgeteer_posts


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/state.db")
    upgrade(engine)
    return engine


def _budgeteer(
    engine: Engine,
    slack: RunningSlackEmulator,
    schedule: Schedule,
    items: list[BudgetSnapshot | BudgetFailure],
) -> Budgeteer:
    settings = SlackSettings(
        token=slack.token,
        base_url=slack.api_url,
        retry=RetryPolicy(max_attempts=2, max_total_wait_seconds=0.5, sleep=lambda _s: None),
        min_post_interval_seconds=0,
    )
    return Budgeteer(
        engine,
        SlackWebGateway(settings),
        lambda _now, _movers: items,
        schedule,
        ["#finops"],
        "#finance-alerts",
        "r1",
        charts=False,
    )


def _summaries(slack: RunningSlackEmulator) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.emulator.messages()
        if (m.get("metadata") or {}).get("event_type") == "budgeteer_weekly_summary"
    ]


def test_a_monthly_schedule_posts_on_the_first_and_sleeps_until_the_next(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    monthly = Schedule("0 9 1 * *", "Europe/Paris", timedelta(hours=6))
    budgeteer = _budgeteer(engine, slack_emulator, monthly, [snapshot])
    budgeteer.tick(datetime(2026, 11, 1, 7, tzinfo=UTC))
    budgeteer.tick(datetime(2026, 11, 1, 8, 5, tzinfo=UTC))  # 09:05 in Paris
    budgeteer.tick(datetime(2026, 11, 20, 8, tzinfo=UTC))
    posted = [m["metadata"]["event_payload"]["slot"] for m in _summaries(slack_emulator)]
    assert posted == ["2026-11-01T09:00:00+01:00"]
    # With no threshold to watch it would sleep until 1 December, 08:00 UTC.
    assert monthly.next_slot(datetime(2026, 11, 20, tzinfo=UTC)) == datetime(
        2026, 12, 1, 8, tzinfo=UTC
    )


def test_a_twice_weekly_schedule_posts_both_slots_of_a_week(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    twice = Schedule("0 9 * * MON,THU", "UTC", timedelta(hours=6))
    budgeteer = _budgeteer(engine, slack_emulator, twice, [snapshot])
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)  # Monday of ISO week 48
    budgeteer.tick(now)
    for when in (now + timedelta(hours=2), now + timedelta(days=3, hours=2)):
        budgeteer.tick(when)
    posted = [m["metadata"]["event_payload"]["slot"] for m in _summaries(slack_emulator)]
    assert posted == ["2026-11-23T09:00:00+00:00", "2026-11-26T09:00:00+00:00"]
    [report] = [
        r
        for r in cadence_slo_reports(
            engine, twice, ["#finops"], Decimal("0.95"), now + timedelta(days=4)
        )
        if r.window == "13w"
    ]
    assert (report.events, report.good) == (2, 2)


def test_a_post_recorded_under_its_old_week_key_is_not_posted_again(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    weekly = Schedule("0 9 * * MON", "UTC", timedelta(hours=6))
    slot = datetime(2026, 11, 23, 9, tzinfo=UTC)
    budgeteer = _budgeteer(engine, slack_emulator, weekly, [snapshot])
    budgeteer.since(slot - timedelta(days=1))
    with engine.begin() as connection:  # what the previous release wrote for this slot
        connection.execute(
            budgeteer_posts.insert().values(
                channel="#finops",
                slot_key="2026-W48",
                slot_at=slot,
                late=False,
                state="posted",
                claimed_by="old",
                lease_until=slot,
                attempts=1,
                posted_at=slot + timedelta(minutes=1),
                created_at=slot,
            )
        )
    budgeteer.tick(slot + timedelta(hours=2))
    assert _summaries(slack_emulator) == []
    with engine.connect() as connection:
        keys = [row.slot_key for row in connection.execute(select(budgeteer_posts))]
    assert keys == ["2026-11-23T09:00:00+00:00"]


def test_a_budget_that_cannot_be_computed_is_named_in_the_summary(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    failure = BudgetFailure("eu-team", "cannot combine USD and EUR amounts without an FX table")
    weekly = Schedule("0 9 * * MON", "UTC", timedelta(hours=6))
    budgeteer = _budgeteer(engine, slack_emulator, weekly, [snapshot, failure])
    slot = datetime(2026, 11, 23, 9, tzinfo=UTC)
    budgeteer.tick(slot - timedelta(hours=1))
    budgeteer.tick(slot + timedelta(minutes=5))
    [message] = _summaries(slack_emulator)
    blocks = str(message["blocks"])
    assert "platform" in blocks  # the computed budget is reported as usual
    assert "eu-team" in blocks and "not computed" in blocks and "FX table" in blocks
    assert "1 budget(s) not computed" in message["text"]
