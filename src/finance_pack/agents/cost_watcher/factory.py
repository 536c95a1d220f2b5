"""The Cost Watcher wired to an installed pack: finance.yaml, the state store, Slack."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.agents.budgeteer.factory import replica_id
from finance_pack.agents.cost_watcher.agent import CostWatcherAgent
from finance_pack.agents.cost_watcher.dispatch import AlertDispatcher
from finance_pack.agents.cost_watcher.inbox import Inbox
from finance_pack.agents.cost_watcher.settings import (
    ScopedSettings,
    WatcherSettings,
    detector_settings,
)
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.config import FinanceConfig
from finance_pack.context import PackContext
from finance_pack.domain.anomaly.points import series_key
from finance_pack.errors import UsageError
from finance_pack.providers.aws.cloudwatch import BillingPoller
from finance_pack.providers.slack import SlackGateway, SlackSettings, SlackWebGateway
from finance_pack.providers.webhook import SECRET_ENV, WebhookSink
from finance_pack.secrets import read_secret


def watcher_settings(config: FinanceConfig) -> WatcherSettings:
    watcher = config.watcher
    rates: dict[tuple[str, str], Decimal] = {}
    for pair, value in config.fx_rates.items():
        base, quote = pair.split("/")
        # Live billing figures are this month's: a rate dated per month uses the newest one.
        rate = value if isinstance(value, Decimal) else value[max(value)]
        rates[(base, quote)] = rate  # 1 base = rate quote
        rates[(quote, base)] = Decimal(1) / rate
    return WatcherSettings(
        default=detector_settings(
            watcher.relative_margin_pct, watcher.absolute_margin, watcher.direction
        ),
        scoped=tuple(
            ScopedSettings(
                series_key(s.scope),
                detector_settings(s.relative_margin_pct, s.absolute_margin, s.direction),
            )
            for s in watcher.scopes
        ),
        extra_dimensions=tuple(watcher.dimensions),
        max_batch=watcher.max_batch_points,
        alerts_channel=config.slack.alerts_channel,
        dashboard_url=watcher.dashboard_url,
        webhook_url=watcher.webhook_url,
        fx_rates=rates,
    )


def build_watcher(context: PackContext, engine: Engine) -> CostWatcher:
    return CostWatcher(engine, watcher_settings(context.config))


def build_dispatcher(
    context: PackContext, engine: Engine, gateway: SlackGateway | None = None
) -> AlertDispatcher:
    config = context.config
    settings = watcher_settings(config)
    webhook = None
    if settings.webhook_url:
        secret = read_secret(SECRET_ENV)
        if not secret:
            raise UsageError(
                "watcher.webhook_url is set but the webhook has no signing secret",
                hint=f"set {SECRET_ENV} or {SECRET_ENV}_FILE",
            )
        webhook = WebhookSink(settings.webhook_url, secret)
    slack = gateway or SlackWebGateway(SlackSettings.from_env(base_url=config.slack.api_url))
    return AlertDispatcher(
        engine,
        slack,
        settings.alerts_channel,
        replica_id(),
        webhook=webhook,
        dashboard_url=settings.dashboard_url,
        max_per_minute=config.watcher.max_alerts_per_minute,
    )


def build_agent(
    context: PackContext,
    engine: Engine,
    watcher: CostWatcher | None = None,
    gateway: SlackGateway | None = None,
) -> CostWatcherAgent:
    """The agent; pass the API's `watcher` when both run in one process (one baseline cache)."""
    config = context.config
    poller = None
    if config.providers.aws.enabled:
        import boto3

        from finance_pack.providers.aws.calls import client

        aws = config.providers.aws
        poller = BillingPoller(client(boto3.Session(), "cloudwatch", endpoint_url=aws.endpoint_url))
    watcher = watcher or build_watcher(context, engine)
    inbox = None
    if config.watcher.inbox_dir:
        folder = context.pack_dir / config.watcher.inbox_dir  # an absolute path stays absolute
        inbox = Inbox(folder, watcher, config.cost_metric)
    return CostWatcherAgent(
        watcher=watcher,
        inbox=inbox,
        dispatcher=build_dispatcher(context, engine, gateway),
        poller=poller,
        poll_every=timedelta(seconds=config.providers.aws.cloudwatch_poll_seconds),
    )
