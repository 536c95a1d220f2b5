"""A stopped cost feed is posted to Slack once per stale episode and once when it recovers
(issue 9 item 5), through the claimed deliveries, across restarts and replicas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from finance_pack.agents.budgeteer.agent import Budgeteer
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.cadence import Schedule
from finance_pack.domain.kpis import MonthBeforeDataError
from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

NEWEST = datetime(2026, 11, 20, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/state.db")
    upgrade(engine)
    return engine


class Feed:
    """The cost store's newest data per provider, moved by the test."""

    def __init__(self) -> None:
        self.newest: dict[str, datetime] = {"AWS": NEWEST, "Microsoft": NEWEST}

    def __call__(self) -> Mapping[str, datetime]:
        return dict(self.newest)


def _budgeteer(engine: Engine, slack: RunningSlackEmulator, feed: Feed, replica: str) -> Budgeteer:
    settings = SlackSettings(
        token=slack.token,
        base_url=slack.api_url,
        retry=RetryPolicy(max_attempts=2, max_total_wait_seconds=0.5, sleep=lambda _s: None),
        min_post_interval_seconds=0,
    )

    def no_data(now: datetime, _movers: bool) -> list[Any]:
        raise MonthBeforeDataError(BillingMonth.containing(now), None)

    return Budgeteer(
        engine,
        SlackWebGateway(settings),
        no_data,
        Schedule("0 9 * * MON", "UTC", timedelta(hours=6)),
        ["#finops"],
        "#finance-alerts",
        replica,
        charts=False,
        freshness=feed,
        stale_after=timedelta(hours=36),
    )


def _alerts(slack: RunningSlackEmulator) -> list[str]:
    return [
        str(m["text"])
        for m in slack.emulator.messages()
        if (m.get("metadata") or {}).get("event_type") == "budgeteer_freshness_alert"
    ]


def test_a_stale_episode_alerts_once_and_its_recovery_once(
    engine: Engine, slack_emulator: RunningSlackEmulator
) -> None:
    feed = Feed()
    first, second = (_budgeteer(engine, slack_emulator, feed, r) for r in ("r1", "r2"))
    assert first.check_freshness(NEWEST + timedelta(hours=30)) == 0  # fresh: nothing to say
    for hours in (37, 40, 60, 90):  # AWS keeps coming, Microsoft has stopped
        feed.newest["AWS"] = NEWEST + timedelta(hours=hours - 2)
        if hours == 60:  # a trickle of late data that leaves it stale: the same episode
            feed.newest["Microsoft"] = NEWEST + timedelta(hours=10)
        first.check_freshness(NEWEST + timedelta(hours=hours))
        second.check_freshness(NEWEST + timedelta(hours=hours, minutes=1))
    alerts = _alerts(slack_emulator)
    assert len(alerts) == 1
    assert (
        "Microsoft cost data is stale: the newest is 37h old (2026-11-20 00:00 UTC)" in (alerts[0])
    )
    feed.newest["Microsoft"] = NEWEST + timedelta(hours=89)
    first.check_freshness(NEWEST + timedelta(hours=91))
    second.check_freshness(NEWEST + timedelta(hours=92))
    alerts = _alerts(slack_emulator)
    assert len(alerts) == 2 and "Microsoft cost data is fresh again" in alerts[1]
    # A second episode is a new alert.
    feed.newest["AWS"] = NEWEST + timedelta(hours=95)
    feed.newest["Microsoft"] = NEWEST + timedelta(hours=95)
    first.check_freshness(NEWEST + timedelta(hours=140))
    second.check_freshness(NEWEST + timedelta(hours=141))
    alerts = _alerts(slack_emulator)
    assert len(alerts) == 4 and sorted(a.split(" cost")[0] for a in alerts[2:]) == [
        ":warning: AWS",
        ":warning: Microsoft",
    ]


def test_the_weekly_tick_checks_freshness(
    engine: Engine, slack_emulator: RunningSlackEmulator
) -> None:
    feed = Feed()
    _budgeteer(engine, slack_emulator, feed, "r1").tick(NEWEST + timedelta(days=3))
    assert len(_alerts(slack_emulator)) == 2
