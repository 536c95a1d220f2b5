"""The Budgeteer wired to an installed pack: its state store, Slack, cost store and budgets."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from finance_pack.agents.budgeteer.agent import Budgeteer
from finance_pack.context import PackContext
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import BudgetFailure
from finance_pack.providers.slack import SlackGateway, SlackSettings, SlackWebGateway
from finance_pack.services.budget_admin import budgets_in_force
from finance_pack.services.reporting import ReportSettings, budget_snapshots, cost_queries
from finance_pack.services.slos import schedule_for
from finance_pack.store.budgets import BudgetEntry


def replica_id() -> str:
    """Unique per process, readable in the state store: host, pid and a random suffix."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def build_budgeteer(
    context: PackContext, engine: Engine, gateway: SlackGateway | None = None
) -> Budgeteer:
    config = context.config
    settings = ReportSettings.from_config(config)

    def snapshots(now: datetime, movers: bool) -> Sequence[BudgetSnapshot | BudgetFailure]:
        entries = budgets_in_force(engine, config)
        budgets = [entry.budget for entry in entries if isinstance(entry, BudgetEntry)]
        broken = [entry.failure() for entry in entries if not isinstance(entry, BudgetEntry)]
        with cost_queries(context.cost_store_url, config.timezone) as queries:
            computed = budget_snapshots(queries, budgets, settings, now=now, movers=movers)
        return [*computed, *broken]

    slack = gateway or SlackWebGateway(SlackSettings.from_env(base_url=config.slack.api_url))
    return Budgeteer(
        engine=engine,
        gateway=slack,
        snapshots=snapshots,
        schedule=schedule_for(context),
        channels=config.slack.summary_channels,
        alerts_channel=config.slack.alerts_channel,
        replica=replica_id(),
        timezone=config.timezone,
    )
