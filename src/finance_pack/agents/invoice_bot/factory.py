"""The Invoice Bot wired to an installed pack: its state store, Stripe and Slack."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from finance_pack.agents.budgeteer.factory import replica_id
from finance_pack.agents.invoice_bot.bot import InvoiceBot
from finance_pack.agents.invoice_bot.reconciler import Reconciler
from finance_pack.context import PackContext
from finance_pack.providers.slack import SlackGateway, SlackSettings, SlackWebGateway
from finance_pack.providers.stripe import StripeClientGateway, StripeGateway, StripeSettings

log = logging.getLogger(__name__)

# A failpoint for the crash tests: the process kills itself (SIGKILL, no cleanup) at the named
# point, e.g. "called:invoice_created" or "stored:finalized". Never set in production.
CRASH_AFTER_ENV = "FINANCE_INVOICE_BOT_CRASH_AFTER"


def crash_failpoint(point: str | None) -> Callable[[str, str], None] | None:
    if not point:
        return None

    def crash(invoice_id: str, reached: str) -> None:
        if reached == point:
            log.warning("failpoint %s reached on %s: SIGKILL", point, invoice_id)
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


def build_invoice_bot(
    context: PackContext,
    engine: Engine,
    *,
    stripe: StripeGateway | None = None,
    slack: SlackGateway | None = None,
) -> InvoiceBot:
    config = context.config
    replica = replica_id()
    stripe_gateway = stripe or StripeClientGateway(
        StripeSettings.from_env(api_url=config.stripe.api_url)
    )
    slack_gateway = slack or SlackWebGateway(SlackSettings.from_env(base_url=config.slack.api_url))
    grace = timedelta(seconds=config.stripe.webhook_grace_seconds)
    return InvoiceBot(
        engine=engine,
        stripe=stripe_gateway,
        slack=slack_gateway,
        fallback_channel=config.slack.invoices_channel,
        replica=replica,
        lease=timedelta(seconds=config.stripe.worker_lease_seconds),
        reconciler=Reconciler(engine, stripe_gateway, replica, interval=grace),
        after_step=crash_failpoint(os.environ.get(CRASH_AFTER_ENV)),
    )
