"""Every state change of an invoice is in the append-only audit log, with who made it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoice_support import InvoiceSandbox, wait_until

from finance_pack.store.invoices import get_invoice

Brctl = Callable[..., tuple[int, str, str]]


def _status(sandbox: InvoiceSandbox, invoice_id: str) -> str:
    with sandbox.engine.connect() as connection:
        record = get_invoice(connection, invoice_id)
    assert record is not None
    return record.status


def _audited(brctl: Brctl, invoice_id: str) -> list[dict[str, Any]]:
    code, out, err = brctl("finance", "audit", "--format", "json")
    assert code == 0, err
    return [r for r in json.loads(out) if r["target"] == f"invoice:{invoice_id}"]


def _statuses(entry: dict[str, Any]) -> tuple[str | None, str]:
    return (entry["before"] or {}).get("status"), entry["after"]["status"]


def test_each_invoice_state_change_is_audited_with_its_actor_amount_and_currency(
    sandbox: InvoiceSandbox, brctl: Brctl, installed_target: Path
) -> None:
    sandbox.stripe.emulator.webhooks.faults.drop_next = 1000  # confirmations come later
    record = sandbox.request(amount="1250.00")
    bot = sandbox.bot(reconciler=None)
    bot.tick(bot.clock.now())
    assert _status(sandbox, record.id) == "posted"
    sandbox.stripe.emulator.webhooks.faults.drop_next = 0
    [stripe_id] = list(sandbox.stripe.emulator.invoices)
    sandbox.stripe_client().v1.invoices.pay(stripe_id, params={"paid_out_of_band": True})
    wait_until(lambda: _status(sandbox, record.id) == "paid")

    records = _audited(brctl, record.id)
    assert [(r["actor"], r["action"], r["via"]) for r in records] == [
        ("user:gina@example.com", "invoices.request", "cli"),
        ("agent:invoice-bot", "invoices.customer_ready", "agent"),
        ("agent:invoice-bot", "invoices.invoice_created", "agent"),
        ("agent:invoice-bot", "invoices.item_created", "agent"),
        ("agent:invoice-bot", "invoices.finalized", "agent"),
        ("agent:invoice-bot", "invoices.sent", "agent"),
        ("agent:invoice-bot", "invoices.posted", "agent"),
        ("system:stripe-webhook", "invoices.paid", "api"),
    ]
    for entry in records:
        assert (entry["after"]["amount"], entry["after"]["currency"]) == ("1250.00", "USD")
    paid = records[-1]
    assert paid["before"] == {"status": "posted"}
    assert (paid["after"]["status"], paid["after"]["stripe_invoice_id"]) == ("paid", stripe_id)
    assert str(paid["after"]["detail"]).startswith("invoice.paid (evt_")


def test_the_invoice_timeline_is_read_from_the_audit_log(
    sandbox: InvoiceSandbox, brctl: Brctl, installed_target: Path
) -> None:
    record = sandbox.request(amount="40.00")
    bot = sandbox.bot(reconciler=None)
    bot.tick(bot.clock.now())
    wait_until(lambda: _status(sandbox, record.id) == "delivered")
    code, out, err = brctl("finance", "invoice", "show", record.id, "--format", "json")
    assert code == 0, err
    [shown] = json.loads(out)
    timeline = [(step["from"], step["to"]) for step in shown["history"]]
    audited = [_statuses(r) for r in _audited(brctl, record.id)]
    assert timeline == audited
    # Stripe's `invoice.sent` webhook may land before the bot records its own step: it is in
    # the history as what Stripe said (the status unchanged), between the status changes.
    said = [step for step in shown["history"] if step["from"] == step["to"]]
    assert all(str(step.get("detail", "")).startswith("invoice.") for step in said), said
    moves = [(step["from"], step["to"]) for step in shown["history"] if step not in said]
    assert moves[:6] == [
        (None, "requested"),
        ("requested", "customer_ready"),
        ("customer_ready", "invoice_created"),
        ("invoice_created", "item_created"),
        ("item_created", "finalized"),
        ("finalized", "sent"),
    ]
    assert moves[-1][1] == "delivered"
