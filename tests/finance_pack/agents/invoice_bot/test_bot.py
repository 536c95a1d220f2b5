from __future__ import annotations

from invoice_support import InvoiceSandbox, wait_until

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
