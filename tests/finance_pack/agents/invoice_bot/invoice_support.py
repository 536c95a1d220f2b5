"""A sandbox deployment for the Invoice Bot's tests: the pack installed, the Stripe and Slack
emulators and the pack's API on loopback, Stripe's webhooks pointed at the API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stripe
from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.agents.invoice_bot import InvoiceBot
from finance_pack.agents.invoice_bot.factory import build_invoice_bot
from finance_pack.api.app import create_app
from finance_pack.context import PackContext, load_context
from finance_pack.sandbox.demo_invoices import INVOICE_EVENTS
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.slack import DEFAULT_CHANNELS, EmulatedChannel
from finance_pack.sandbox.testing import (
    RunningSlackEmulator,
    RunningStripeEmulator,
    running_slack_emulator,
    running_stripe_emulator,
)
from finance_pack.services.customers import add_customer
from finance_pack.services.invoices import InvoiceRequest, request_invoice
from finance_pack.store.engine import make_engine
from finance_pack.store.invoices import InvoiceRecord
from finance_pack.store.migrate import upgrade

CHANNELS = (*DEFAULT_CHANNELS, EmulatedChannel("C0ACMEBIL1", "acme-billing"))
CATALYST = Actor(
    "user:gina@example.com", ("growth-catalyst",), frozenset({"invoices:create"}), "test", "cli"
)


@dataclass
class InvoiceSandbox:
    context: PackContext
    engine: Engine
    stripe: RunningStripeEmulator
    slack: RunningSlackEmulator
    api: BackgroundServer
    webhook_secret: str

    def bot(self, **overrides: object) -> InvoiceBot:
        bot = build_invoice_bot(self.context, self.engine)
        for name, value in overrides.items():
            setattr(bot, name, value)
        return bot

    def request(
        self,
        customer: str = "acme",
        amount: str = "1250.00",
        currency: str | None = "usd",
        key: str | None = None,
    ) -> InvoiceRecord:
        record, _created = request_invoice(
            self.engine,
            self.context.config,
            CATALYST,
            InvoiceRequest(customer, amount, currency, None, 30),
            idempotency_key=key,
            now=datetime.now(UTC),
        )
        return record

    def stripe_client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            self.stripe.api_key, base_addresses={"api": self.stripe.url}, max_network_retries=0
        )

    def invoice_messages(self) -> list[dict[str, object]]:
        """Top-level Slack messages carrying an invoice."""
        return [
            m
            for m in self.slack.emulator.messages()
            if (m.get("metadata") or {}).get("event_type") == "finance_invoice"
        ]


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@contextmanager
def invoice_sandbox(target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InvoiceSandbox]:
    with ExitStack() as stack:
        stripe_emu = stack.enter_context(running_stripe_emulator(webhook_backoff_seconds=0.2))
        slack = stack.enter_context(running_slack_emulator(channels=CHANNELS))
        monkeypatch.setenv("STRIPE_API_KEY", stripe_emu.api_key)
        monkeypatch.setenv("FINANCE_STRIPE_API_URL", stripe_emu.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        monkeypatch.setenv("FINANCE_SLACK_API_URL", slack.api_url)
        context = load_context(target)
        engine = make_engine(context.state_db_url)
        upgrade(engine)
        api = stack.enter_context(BackgroundServer(create_app(context, engine), name="api"))
        client = stripe.StripeClient(
            stripe_emu.api_key, base_addresses={"api": stripe_emu.url}, max_network_retries=0
        )
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": f"{api.url}v1/webhooks/stripe", "enabled_events": list(INVOICE_EVENTS)}
        )
        secret = str(endpoint.secret)
        monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", secret)
        now = datetime.now(UTC)
        add_customer(
            engine,
            CATALYST,
            customer_id="acme",
            name="Acme Corp",
            email="ap@acme.test",
            slack_channel="#acme-billing",
            currency="USD",
            now=now,
        )
        add_customer(
            engine,
            CATALYST,
            customer_id="nochan",
            name="No Channel Ltd",
            email=None,
            slack_channel=None,
            currency="EUR",
            now=now,
        )
        yield InvoiceSandbox(context, engine, stripe_emu, slack, api, secret)
        engine.dispose()
