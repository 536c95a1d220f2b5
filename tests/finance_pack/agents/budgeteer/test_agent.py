from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from budgeteer_support import (
    CHANNELS,
    SCHEDULE,
    START,
    gateway,
    make_budgeteer,
    summaries,
)
from sqlalchemy import Engine, select

from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.cadence import slot_key
from finance_pack.providers.slack import PostedMessage, SlackPermanentError
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.services.cadence_slo import cadence_slo_reports
from finance_pack.store.tables import budgeteer_posts, threshold_alerts


def test_slot_is_posted_once_per_channel(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot)
    budgeteer.tick(START)
    assert summaries(slack_emulator) == []  # before the first slot
    due = budgeteer.tick(START + timedelta(hours=1, minutes=1))
    budgeteer.tick(START + timedelta(hours=2))
    posted = summaries(slack_emulator)
    assert sorted("#" + m["channel_name"] for m in posted) == sorted(CHANNELS)
    assert due <= START + timedelta(hours=1, minutes=16)  # threshold checks keep it awake


def test_downtime_over_a_slot_posts_it_late_once_on_start(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    make_budgeteer(engine, gateway(slack_emulator), snapshot).tick(START)
    restarted = make_budgeteer(engine, gateway(slack_emulator), snapshot)
    restarted.tick(START + timedelta(days=2))
    posted = summaries(slack_emulator)
    assert len(posted) == 2 and all("(late)" in m["text"] for m in posted)


def test_killed_between_post_and_record_does_not_post_again(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    real = gateway(slack_emulator)

    class DiesAfterPosting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def post_message(self, *args: Any, **kwargs: Any) -> PostedMessage:
            posted = real.post_message(*args, **kwargs)
            if kwargs["metadata"].event_type != "budgeteer_weekly_summary":
                return posted
            raise SystemExit("killed")  # the process dies before recording the post

    crashing = make_budgeteer(engine, DiesAfterPosting(), snapshot, channels=["#finops"])
    crashing.tick(START - timedelta(hours=1))
    with pytest.raises(SystemExit):
        crashing.tick(START + timedelta(hours=1, minutes=1))
    assert len(summaries(slack_emulator)) == 1
    survivor = make_budgeteer(engine, real, snapshot, replica="r2", channels=["#finops"])
    survivor.tick(START + timedelta(hours=1, minutes=5))  # the lease still holds
    survivor.tick(START + timedelta(hours=1, minutes=20))  # lease over: look up, do not repost
    assert len(summaries(slack_emulator)) == 1
    with engine.connect() as connection:
        row = connection.execute(select(budgeteer_posts)).one()
    assert row.state == "posted" and row.claimed_by == "r2"


def test_rate_limited_for_minutes_retries_later_and_loses_nothing(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    slack_emulator.emulator.inject_fault(429, method="chat.postMessage", retry_after=120)
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=["#finops"])
    budgeteer.tick(START - timedelta(hours=1))
    now = START + timedelta(hours=1, minutes=1)
    due = budgeteer.tick(now)
    assert summaries(slack_emulator) == []
    assert due >= now + timedelta(seconds=120)  # honours Retry-After
    slack_emulator.emulator.clear_faults()
    budgeteer.tick(due)
    assert len(summaries(slack_emulator)) == 1


def test_server_errors_are_retried_with_backoff(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    slack_emulator.emulator.inject_fault(500, method="chat.postMessage", count=4)
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=["#finops"])
    budgeteer.tick(START - timedelta(hours=1))
    now = START + timedelta(hours=1, minutes=1)
    for _ in range(5):
        now = budgeteer.tick(now)
    assert len(summaries(slack_emulator)) == 1


@pytest.mark.parametrize(
    ("channel", "token", "code"),
    [
        ("#does-not-exist", None, "channel_not_found"),
        ("#general", None, "not_in_channel"),
        ("#finops", "xoxb-wrong", "invalid_auth"),
    ],
)
def test_permanent_slack_errors_are_recorded_and_retried_hourly(  # type: ignore[no-untyped-def]
    engine: Engine,
    slack_emulator: RunningSlackEmulator,
    snapshot: BudgetSnapshot,
    channel,
    token,
    code,
) -> None:
    budgeteer = make_budgeteer(engine, gateway(slack_emulator, token), snapshot, channels=[channel])
    budgeteer.tick(START - timedelta(hours=1))
    now = START + timedelta(hours=1, minutes=1)
    due = budgeteer.tick(now)  # no exception: no crash loop
    with engine.connect() as connection:
        row = connection.execute(select(budgeteer_posts)).one()
    assert row.state == "failed" and code in row.last_error
    assert row.next_attempt_at >= now + timedelta(minutes=59)
    assert due <= now + timedelta(minutes=15)


def test_run_now_raises_a_clear_error_for_a_bad_channel(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot)
    with pytest.raises(SlackPermanentError, match="channel_not_found"):
        budgeteer.run_now(START, ["#nope"])
    assert budgeteer.run_now(START, ["#finops"]) == ["#finops"]


def test_no_cost_data_posts_a_summary_that_says_so(
    engine: Engine, slack_emulator: RunningSlackEmulator
) -> None:
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), None, channels=["#finops"])
    budgeteer.tick(START - timedelta(hours=1))
    budgeteer.tick(START + timedelta(hours=1, minutes=1))
    [message] = summaries(slack_emulator)
    assert "No cost data" in str(message["blocks"])


def test_threshold_alerts_post_once_per_budget_threshold_and_month(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    crossed = [str(t) for t in snapshot.report.thresholds_crossed]
    assert crossed  # the fixture's budget is over its 80 % and forecast thresholds
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot)
    budgeteer.check_thresholds(START)
    make_budgeteer(engine, gateway(slack_emulator), snapshot, replica="r2").check_thresholds(START)
    alerts = [
        m for m in slack_emulator.emulator.messages() if m["channel_name"] == "finance-alerts"
    ]
    assert len(alerts) == len(crossed)
    with engine.connect() as connection:
        assert connection.execute(select(threshold_alerts)).all().__len__() == len(crossed)


def test_a_year_of_restarts_and_downtime_posts_every_week_exactly_once(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    rng = random.Random(20261127)
    channels = ["#finops"]
    now, end = START - timedelta(hours=2), START + timedelta(weeks=52)
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=channels)
    expected_late: set[str] = set()
    while now < end:
        due = budgeteer.tick(now)
        roll = rng.random()
        if roll < 0.08:  # downtime of up to six days, then a fresh process
            down_until = now + timedelta(hours=rng.uniform(1, 144))
            slot = SCHEDULE.latest_slot(down_until)
            if now < slot + SCHEDULE.grace < down_until < end and slot > now:
                expected_late.add(slot_key(slot, "UTC"))
            now = down_until
            budgeteer = make_budgeteer(
                engine,
                gateway(slack_emulator),
                snapshot,
                channels=channels,
                replica=f"r{rng.randrange(1000)}",
            )
        elif roll < 0.2:  # a restart right away
            budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot, channels=channels)
            now += timedelta(minutes=rng.uniform(0, 30))
        else:
            now = max(due, now + timedelta(seconds=1))
    weeks = [slot_key(s, "UTC") for s in SCHEDULE.slots_between(START, end)]
    posted = [m["metadata"]["event_payload"]["slot"] for m in summaries(slack_emulator)]
    assert sorted(posted) == sorted(weeks)  # every week, exactly once
    late = {
        m["metadata"]["event_payload"]["slot"]
        for m in summaries(slack_emulator)
        if "(late)" in m["text"]
    }
    assert late == expected_late and len(expected_late) >= 2  # the seed does cause downtime
    year = cadence_slo_reports(engine, SCHEDULE, channels, Decimal("0.95"), end)[1]
    assert year.events == len(weeks)
    assert year.good == len(weeks) - len(expected_late)
    assert {e.split()[1] for e in year.bad_events} == expected_late


def test_thresholds_crossed_together_make_one_alert_naming_the_highest(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    from dataclasses import replace

    from finance_pack.domain.budgets import Threshold

    crossed = tuple(Threshold.parse(t) for t in ("50", "80", "100"))
    report = replace(snapshot.report, thresholds_crossed=crossed)
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), replace(snapshot, report=report))
    assert budgeteer.check_thresholds(START) == 1
    [alert] = [
        m for m in slack_emulator.emulator.messages() if m["channel_name"] == "finance-alerts"
    ]
    assert (
        "crossed 100% on actual spend" in alert["text"] and "(also past 50%, 80%)" in alert["text"]
    )
    with engine.connect() as connection:
        rows = connection.execute(select(threshold_alerts)).all()
    assert sorted(r.threshold for r in rows) == ["100:actual", "50:actual", "80:actual"]
    assert {r.message_ts for r in rows} == {alert["ts"]} and {r.state for r in rows} == {"posted"}
    assert budgeteer.check_thresholds(START + timedelta(hours=1)) == 0
