"""What the Budgeteer's agent-level tests share: the schedule, a state store, a gateway to
the Slack emulator with fast retries, and a Budgeteer over one fixed snapshot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from finance_pack.agents.budgeteer.agent import Budgeteer
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.cadence import Schedule
from finance_pack.domain.kpis import MonthBeforeDataError
from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

SCHEDULE = Schedule("0 9 * * MON", "UTC", timedelta(hours=6))
CHANNELS = ("#finops", "#billing")
START = datetime(2025, 12, 1, 8, tzinfo=UTC)  # a Monday, before the 09:00 slot


def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=2, max_total_wait_seconds=0.5, sleep=lambda _s: None)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/state.db")
    upgrade(engine)
    return engine


def gateway(slack: RunningSlackEmulator, token: str | None = None) -> SlackWebGateway:
    settings = SlackSettings(
        token=token or slack.token,
        base_url=slack.api_url,
        retry=fast_retry(),
        min_post_interval_seconds=0,
    )
    return SlackWebGateway(settings)


def snapshots_from(
    snapshot: BudgetSnapshot | None,
) -> Callable[[datetime, bool], Sequence[BudgetSnapshot]]:
    def source(now: datetime, _movers: bool) -> Sequence[BudgetSnapshot]:
        if snapshot is None:
            raise MonthBeforeDataError(BillingMonth.containing(now), None)
        return [snapshot]

    return source


def make_budgeteer(
    engine: Engine,
    gw: Any,
    snapshot: BudgetSnapshot | None,
    replica: str = "r1",
    channels: Sequence[str] = CHANNELS,
    *,
    charts: bool = False,
) -> Budgeteer:
    return Budgeteer(
        engine,
        gw,
        snapshots_from(snapshot),
        SCHEDULE,
        channels,
        "#finance-alerts",
        replica,
        charts=charts,
    )


def summaries(slack: RunningSlackEmulator) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.emulator.messages()
        if (m.get("metadata") or {}).get("event_type") == "budgeteer_weekly_summary"
    ]
