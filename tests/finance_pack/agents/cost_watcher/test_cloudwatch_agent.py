"""The agent polls CloudWatch's cumulative EstimatedCharges (moto server): no false alert at the
monthly reset, an alert for a real spike, and the streamed points handed to the cost store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import httpx
import pytest
from cost_watcher_support import SETTINGS, dispatcher
from sqlalchemy import Engine, select

from finance_pack.agents.cost_watcher.agent import CostWatcherAgent
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.providers.aws.calls import client
from finance_pack.providers.aws.cloudwatch import BillingPoller, BillingSeries
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.watcher_tables import watcher_incidents, watcher_points

FIRST = datetime(2026, 11, 28, tzinfo=UTC)
SPIKE = datetime(2026, 12, 2, 4, tzinfo=UTC)
EC2 = BillingSeries("USD", "AmazonEC2", "111122223333")


@pytest.fixture
def cloudwatch(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    yield client(session, "cloudwatch", endpoint_url=moto_url)
    httpx.post(f"{moto_url}/moto-api/reset")


def publish_month_to_date(cw: Any, until: datetime) -> None:
    """About 40 USD an hour, reset to zero on 1 December, 400 USD in the spike hour."""
    total, moment, data = Decimal(0), FIRST, []
    while moment <= until:
        if moment.day == 1 and moment.hour == 0:
            total = Decimal(0)
        total += Decimal("400") if moment == SPIKE else Decimal(40 + moment.hour % 3)
        data.append(
            {
                "MetricName": "EstimatedCharges",
                "Dimensions": EC2.dimensions(),
                "Timestamp": moment,
                "Value": float(total),
            }
        )
        moment += timedelta(hours=1)
    for offset in range(0, len(data), 500):
        cw.put_metric_data(Namespace="AWS/Billing", MetricData=data[offset : offset + 500])


def test_cumulative_billing_crosses_the_month_and_alerts_only_on_the_spike(
    engine: Engine, clock: FakeClock, cloudwatch: Any, slack_emulator: RunningSlackEmulator
) -> None:
    copied: list[Sequence[object]] = []
    agent = CostWatcherAgent(
        watcher=CostWatcher(engine, SETTINGS),
        dispatcher=dispatcher(engine, slack_emulator, clock),
        poller=BillingPoller(cloudwatch, period_seconds=3600),
        cost_store_sink=copied.append,
    )
    publish_month_to_date(cloudwatch, SPIKE - timedelta(hours=1))
    agent.tick(SPIKE)
    with engine.connect() as connection:
        costs = connection.execute(select(watcher_points.c.cost)).scalars().all()
        assert connection.execute(select(watcher_incidents)).all() == []
    assert costs and all(Decimal(cost) >= 0 for cost in costs)
    assert sum(len(batch) for batch in copied) == len(costs)
    publish_month_to_date(cloudwatch, SPIKE + timedelta(hours=1))
    agent.tick(SPIKE + timedelta(hours=2))
    with engine.connect() as connection:
        [incident] = connection.execute(select(watcher_incidents)).all()
    assert incident.first_seen == SPIKE - timedelta(hours=1)  # the interval ending at the spike
    # The spike and the calm hour after it came in one poll: one alert, already resolved.
    alerts = [m for m in slack_emulator.emulator.messages() if not m.get("thread_ts")]
    assert len(alerts) == 1 and "AmazonEC2" in alerts[0]["text"]
    assert "resolved: cost anomaly #1" in alerts[0]["text"].lower()
    agent.tick(SPIKE + timedelta(hours=2, minutes=5))
    assert sum(len(batch) for batch in copied) == len(costs) + 2  # only the new points
