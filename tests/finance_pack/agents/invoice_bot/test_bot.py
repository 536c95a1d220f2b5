from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from invoice_support import InvoiceSandbox, wait_until

from finance_pack.agents.invoice_bot.reconciler import Reconciler
from finance_pack.clock import FakeClock
from finance_pack.providers.slack.retry import RetryPolicy
from finance_pack.store.customers import set_stripe_customer_id
from finance_pack.store.invoices import get_invoice


def _status(sandbox: InvoiceSandbox, invoice_id: str) -> str:
    with sandbox.engine.connect() as connection:
        record = get_invoice(connection, invoice_id)
    assert record is not None
    return record.status


def test_a_requested_invoice_is_created_sent_posted_and_confirmed_delivered(
    sandbox: InvoiceSandbox,
) -> None:
    record = sandbox.request(amount="1250.00")
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    invoices = list(sandbox.stripe.emulator.invoices.values())
    assert len(invoices) == 1
    stripe_invoice = invoices[0]
    assert stripe_invoice["amount_due"] == 125000 and stripe_invoice["currency"] == "usd"
    assert stripe_invoice["collection_method"] == "send_invoice"
    assert stripe_invoice["metadata"]["finance_request_id"] == record.id
    messages = sandbox.invoice_messages()
    assert len(messages) == 1
    message = messages[0]
    assert message["channel_name"] == "acme-billing"
    assert "USD 1,250.00" in str(message["text"]) and "Acme Corp" in str(message["text"])
    button = message["blocks"][1]["elements"][0]  # type: ignore[index]
    assert button["text"]["text"] == "Pay invoice"
    assert button["url"] == stripe_invoice["hosted_invoice_url"]
    pdfs = [m for m in sandbox.slack.emulator.messages() if m["thread_ts"] == message["ts"]]
    assert [f["name"] for m in pdfs for f in m["files"]] == [  # type: ignore[attr-defined]
        f"invoice-{stripe_invoice['number']}.pdf"
    ]


def _record(sandbox: InvoiceSandbox, invoice_id: str) -> Any:
    with sandbox.engine.connect() as connection:
        return get_invoice(connection, invoice_id)


def _fault(sandbox: InvoiceSandbox, status: int, operation: str, count: int) -> None:
    emulator = sandbox.stripe.emulator
    emulator.faults.add(status, now=emulator.monotonic(), method=operation, count=count)


def test_stripe_500_and_429_for_a_while_are_retried_and_nothing_is_created_twice(
    sandbox: InvoiceSandbox,
) -> None:
    _fault(sandbox, 500, "invoices.create", 2)
    _fault(sandbox, 429, "invoices.finalize", 2)
    record = sandbox.request()
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    assert len(sandbox.stripe.emulator.invoices) == 1
    assert len(sandbox.invoice_messages()) == 1


def test_stripe_down_beyond_the_retry_budget_is_retried_by_a_later_tick(
    sandbox: InvoiceSandbox,
) -> None:
    _fault(sandbox, 500, "invoiceitems.create", 50)
    record = sandbox.request()
    clock = FakeClock(datetime.now(UTC))
    bot = sandbox.bot(clock=clock)
    bot.stripe.settings = replace(  # type: ignore[attr-defined]
        bot.stripe.settings,  # type: ignore[attr-defined]
        retry=RetryPolicy(max_attempts=3, backoff_base_seconds=0.01),
    )
    bot.tick(clock.now())
    assert _record(sandbox, record.id).stage == "invoice_created"
    sandbox.stripe.emulator.faults.clear()
    bot.tick(clock.now())  # not due yet: the retry waits its backoff
    assert _record(sandbox, record.id).stage == "invoice_created"
    clock.advance(timedelta(hours=2))
    bot.tick(clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    assert len(sandbox.stripe.emulator.invoice_items) == 1


def test_slack_rate_limits_are_waited_out_and_the_invoice_posted_once(
    sandbox: InvoiceSandbox,
) -> None:
    sandbox.slack.emulator.inject_fault(429, method="chat.postMessage", count=2, retry_after=1)
    record = sandbox.request()
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    assert len(sandbox.invoice_messages()) == 1
    assert len(sandbox.slack.emulator.requests("chat.postMessage")) == 3


def test_a_customer_without_a_channel_gets_the_invoices_channel(sandbox: InvoiceSandbox) -> None:
    record = sandbox.request(customer="nochan", amount="80.00", currency=None)
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    [message] = sandbox.invoice_messages()
    assert message["channel_name"] == "billing" and "EUR 80.00" in str(message["text"])


def test_a_lost_webhook_is_found_in_stripes_event_log_by_the_reconciler(
    sandbox: InvoiceSandbox,
) -> None:
    sandbox.stripe.emulator.webhooks.faults.drop_next = 1000
    record = sandbox.request()
    bot = sandbox.bot()
    bot.reconciler = None
    bot.tick(bot.clock.now())
    assert _record(sandbox, record.id).status == "posted"
    reconciler = Reconciler(sandbox.engine, bot.stripe, "test-replica")
    assert reconciler.run(datetime.now(UTC)) >= 1
    assert _record(sandbox, record.id).status == "delivered"


def test_payment_is_told_once_in_the_invoices_thread(sandbox: InvoiceSandbox) -> None:
    record = sandbox.request()
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    stripe_id = _record(sandbox, record.id).stripe_invoice_id
    sandbox.stripe_client().v1.invoices.pay(stripe_id, params={"paid_out_of_band": True})
    wait_until(lambda: _status(sandbox, record.id) == "paid")
    bot.tick(bot.clock.now())
    bot.tick(bot.clock.now())
    [message] = sandbox.invoice_messages()
    replies = [
        m
        for m in sandbox.slack.emulator.messages()
        if m["thread_ts"] == message["ts"] and "Paid" in str(m["text"])
    ]
    assert len(replies) == 1


def test_a_stripe_rejection_fails_the_invoice_and_says_why(sandbox: InvoiceSandbox) -> None:
    with sandbox.engine.begin() as connection:
        set_stripe_customer_id(connection, "acme", "cus_deleted_in_stripe")
    record = sandbox.request()
    bot = sandbox.bot()
    bot.tick(bot.clock.now())
    failed = _record(sandbox, record.id)
    assert failed.status == "failed" and "No such customer" in failed.failure
    assert sandbox.stripe.emulator.invoices == {} and sandbox.invoice_messages() == []


def test_stripe_retries_a_webhook_the_api_refused_until_it_is_accepted(
    sandbox: InvoiceSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_not_the_endpoints")
    record = sandbox.request()
    bot = sandbox.bot(reconciler=None)
    bot.tick(bot.clock.now())

    def refused() -> bool:
        return any(status == 400 for _e, _u, status in sandbox.stripe.emulator.webhooks.delivered)

    wait_until(refused)
    assert _record(sandbox, record.id).status == "posted"
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", sandbox.webhook_secret)
    wait_until(lambda: _status(sandbox, record.id) == "delivered")


def test_while_webhooks_are_held_back_the_invoice_waits_in_posted(
    sandbox: InvoiceSandbox,
) -> None:
    sandbox.stripe.emulator.webhooks.faults.delay_seconds = 600.0
    record = sandbox.request()
    bot = sandbox.bot(reconciler=None)
    bot.tick(bot.clock.now())
    held = sandbox.stripe.emulator.webhooks.pending()
    assert held == 2  # invoice.finalized and invoice.sent
    assert _record(sandbox, record.id).status == "posted"
    Reconciler(sandbox.engine, bot.stripe, "test-replica").run(datetime.now(UTC))
    assert _record(sandbox, record.id).status == "delivered"
