"""`brctl finance up` runs the Invoice Bot: an invoice requested through its API is delivered,
confirmed by Stripe's webhook to the same process, and SIGTERM stops it all with status 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import stripe

from finance_pack.access.actors import Actor
from finance_pack.access.tokens import issue_token
from finance_pack.context import load_context
from finance_pack.sandbox.demo_invoices import INVOICE_EVENTS
from finance_pack.sandbox.testing import (
    RunningSlackEmulator,
    RunningStripeEmulator,
    running_slack_emulator,
    running_stripe_emulator,
)
from finance_pack.services.customers import add_customer
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Brctl = Callable[..., tuple[int, str, str]]
CATALYST = "user:gina@example.com"
OPERATOR = Actor("local:test", ("policy-steward",), frozenset(), "test", "cli")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulators() -> Iterator[tuple[RunningStripeEmulator, RunningSlackEmulator]]:
    with (
        running_stripe_emulator(webhook_backoff_seconds=0.2) as stripe_emu,
        running_slack_emulator() as slack,
    ):
        yield stripe_emu, slack


def _wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not in {timeout:.0f} s"
        time.sleep(0.2)


def _prepare(target: Path, brctl: Brctl) -> str:
    """Gina may request invoices, Acme is a customer; returns Gina's API token."""
    assert brctl("roles", "bind", CATALYST, "growth-catalyst")[0] == 0
    engine = make_engine(load_context(target).state_db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    add_customer(
        engine,
        OPERATOR,
        customer_id="acme",
        name="Acme Corp",
        email="ap@acme.test",
        slack_channel="#billing",
        currency="USD",
        now=now,
    )
    with engine.begin() as connection:
        token = issue_token(connection, CATALYST, "local:test", now, timedelta(hours=1)).token
    engine.dispose()
    return token


def test_up_runs_the_invoice_bot_which_delivers_an_invoice_requested_through_its_api(
    installed_target: Path,
    brctl: Brctl,
    emulators: tuple[RunningStripeEmulator, RunningSlackEmulator],
) -> None:
    stripe_emu, slack = emulators
    token = _prepare(installed_target, brctl)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    client = stripe.StripeClient(stripe_emu.api_key, base_addresses={"api": stripe_emu.url})
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": f"{base}/v1/webhooks/stripe", "enabled_events": list(INVOICE_EVENTS)}
    )
    env = {
        **os.environ,
        "BLACKROAD_HOME": str(installed_target),
        "STRIPE_API_KEY": stripe_emu.api_key,
        "FINANCE_STRIPE_API_URL": stripe_emu.url,
        "STRIPE_WEBHOOK_SECRET": str(endpoint.secret),
        "SLACK_BOT_TOKEN": slack.token,
        "FINANCE_SLACK_API_URL": slack.api_url,
    }
    brctl_path = Path(sys.executable).with_name("brctl")
    process = subprocess.Popen(
        [str(brctl_path), "finance", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _answers(f"{base}/healthz"), "the API to start", 90)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "up-test-1"}
        created = httpx.post(
            f"{base}/v1/invoices",
            json={"customer": "acme", "amount": "1250.00", "currency": "usd"},
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        invoice_id = created.json()["id"]

        def delivered() -> bool:
            shown = httpx.get(f"{base}/v1/invoices/{invoice_id}", headers=headers, timeout=30)
            return bool(shown.json()["status"] == "delivered")

        _wait_for(delivered, "the invoice to be delivered", 120)
        [stripe_invoice] = stripe_emu.emulator.invoices.values()
        assert stripe_invoice["metadata"]["finance_request_id"] == invoice_id
        posted = [
            m
            for m in slack.emulator.messages()
            if (m.get("metadata") or {}).get("event_type") == "finance_invoice"
        ]
        assert [(m["channel_name"], "USD 1,250.00" in str(m["text"])) for m in posted] == [
            ("billing", True)
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    assert code == 0


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False
