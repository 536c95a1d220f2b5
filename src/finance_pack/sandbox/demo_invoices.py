"""The demo's Invoice Bot step: a Growth Catalyst requests an invoice; the bot creates it in
the Stripe emulator, posts it with its PDF and a pay button to the Slack emulator, and Stripe's
signed webhook (to the pack's API) confirms it was sent."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import stripe
from rich.console import Console

from finance_pack.api.app import create_app
from finance_pack.context import load_context
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.testing import RunningStripeEmulator, running_stripe_emulator
from finance_pack.store.engine import make_engine
from finance_pack.store.invoices import list_invoices

INVOICE_EVENTS: tuple[Any, ...] = (
    "invoice.finalized",
    "invoice.sent",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.finalization_failed",
)

ENVIRONMENT = (
    "FINANCE_STRIPE_API_URL",
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FINANCE_INVOICE_BOT_CRASH_AFTER",
)


def start_stripe(stack: ExitStack, console: Console, urls: dict[str, str]) -> RunningStripeEmulator:
    """The Stripe emulator, with its webhooks pointed at the pack's API (served for them)."""
    running = stack.enter_context(running_stripe_emulator())
    os.environ["FINANCE_STRIPE_API_URL"] = running.url
    os.environ["STRIPE_API_KEY"] = running.api_key
    os.environ.pop("FINANCE_INVOICE_BOT_CRASH_AFTER", None)
    context = load_context(None)
    api = stack.enter_context(
        BackgroundServer(create_app(context, make_engine(context.state_db_url)), name="webhooks")
    )
    client = stripe.StripeClient(running.api_key, base_addresses={"api": running.url})
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": f"{api.url}v1/webhooks/stripe", "enabled_events": list(INVOICE_EVENTS)}
    )
    os.environ["STRIPE_WEBHOOK_SECRET"] = str(endpoint.secret)
    urls["Stripe emulator"] = running.url
    console.print(
        f"Stripe emulator on {running.url}; its webhooks go to {api.url}v1/webhooks/stripe"
    )
    return running


def wait_for_delivery(console: Console, timeout: float = 10.0) -> None:
    """Until every invoice is delivered (Stripe's `invoice.sent` webhook in) or `timeout`."""
    context = load_context(None)
    engine = make_engine(context.state_db_url)
    deadline = time.monotonic() + timeout

    def statuses() -> set[str]:
        with engine.connect() as connection:
            return {r.status for r in list_invoices(connection)}

    while statuses() != {"delivered"} and time.monotonic() < deadline:
        time.sleep(0.1)
    engine.dispose()


def invoice_tour(run: Callable[..., str], catalyst: str) -> None:
    run(
        "finance",
        "customer",
        "add",
        "acme",
        "--name",
        "Acme Corp",
        "--email",
        "ap@acme.test",
        "--channel",
        "#billing",
        "--currency",
        "USD",
        "--as",
        catalyst,
    )
    run(
        "finance",
        "invoice",
        "create",
        "--customer",
        "acme",
        "--amount",
        "1250.00",
        "--currency",
        "usd",
        "--description",
        "Platform services, November",
        "--as",
        catalyst,
    )
    run("finance", "agent", "run", "invoice-bot", "--once")
