from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from finance_pack.agents.cost_watcher.dispatch import AlertDispatcher
from finance_pack.agents.cost_watcher.settings import WatcherSettings
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.domain.anomaly import DetectorSettings
from finance_pack.domain.anomaly.points import StreamPoint
from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
EC2 = (("account", "111122223333"), ("provider", "aws"), ("service", "AmazonEC2"))
S3 = (("account", "111122223333"), ("provider", "aws"), ("service", "AmazonS3"))
SETTINGS = WatcherSettings(
    default=DetectorSettings(relative_margin=0.3, absolute_margin=25.0),
    alerts_channel="#finance-alerts",
    fx_rates={("EUR", "USD"): Decimal("1.10")},
)


def hourly(
    dims: tuple[tuple[str, str], ...], hour: int, cost: str, currency: str = "USD"
) -> StreamPoint:
    start = START + timedelta(hours=hour)
    return StreamPoint(dims, start, start + timedelta(hours=1), Decimal(cost), currency)


def normal_cost(hour: int) -> str:
    """About 40 USD an hour, a little more in working hours: a calm, realistic baseline."""
    return f"{40 + (hour % 24 in range(8, 18)) * 6 + (hour * 7 % 5) * 0.5:.2f}"


def baseline(watcher: CostWatcher, clock: FakeClock, hours: int = 72, dims=EC2) -> None:
    for hour in range(hours):
        watcher.ingest([hourly(dims, hour, normal_cost(hour))], clock.now())


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/state.db")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(days=3))


def gateway(slack: RunningSlackEmulator) -> SlackWebGateway:
    retry = RetryPolicy(max_attempts=1, max_total_wait_seconds=0.1, sleep=lambda _s: None)
    settings = SlackSettings(
        token=slack.token, base_url=slack.api_url, retry=retry, min_post_interval_seconds=0
    )
    return SlackWebGateway(settings)


def dispatcher(engine: Engine, slack: RunningSlackEmulator, clock: FakeClock) -> AlertDispatcher:
    return AlertDispatcher(engine, gateway(slack), "#finance-alerts", "r1", clock=clock)
