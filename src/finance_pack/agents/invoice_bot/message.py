"""What the Invoice Bot says in Slack (what to say; the gateway decides how to deliver it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from finance_pack.domain.invoices import InvoiceAmount
from finance_pack.store.customers import CustomerRecord
from finance_pack.store.invoices import InvoiceRecord

INVOICE_EVENT = "finance_invoice"
FAILURE_EVENT = "finance_invoice_failed"


def invoice_message(
    record: InvoiceRecord, customer: CustomerRecord
) -> tuple[str, list[dict[str, Any]]]:
    """Text (notifications, screen readers) and blocks: customer, amount, due date, a button."""
    amount = InvoiceAmount(record.amount_minor, record.currency).format()
    due = f"{record.due_date:%Y-%m-%d}" if record.due_date else "on receipt"
    number = record.number or record.id
    text = f"Invoice {number} for {customer.name}: {amount}, due {due}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":receipt: *Invoice {number}* for *{customer.name}*\n"
                f"*Amount:* {amount}\n*Due:* {due}\n{record.description}",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Pay invoice"},
                    "url": record.hosted_invoice_url or "",
                    "style": "primary",
                    "action_id": "pay_invoice",
                }
            ],
        },
    ]
    return text, blocks


UPDATE_TEXT = {
    "paid": ":white_check_mark: Paid {at:%Y-%m-%d %H:%M} UTC. Thank you!",
    "payment_failed": ":warning: A payment attempt failed on {at:%Y-%m-%d %H:%M} UTC.",
    "void": ":no_entry: This invoice was voided on {at:%Y-%m-%d %H:%M} UTC; nothing is due.",
}


def update_text(kind: str, at: datetime) -> str:
    return UPDATE_TEXT[kind].format(at=at)


def failure_text(record: InvoiceRecord, customer_name: str) -> str:
    """The requester's notice that the invoice could not be issued, with Stripe's reason and
    what exists in Stripe, so that a new request does not bill the customer twice."""
    amount = InvoiceAmount(record.amount_minor, record.currency).format()
    requester = record.requested_by.removeprefix("user:")
    if record.stripe_invoice_id is None:
        left = "Nothing was created in Stripe or sent to the customer."
    elif record.number is None:
        left = f"Its draft in Stripe ({record.stripe_invoice_id}) was not finalized or sent."
    else:
        left = (
            f"Stripe invoice {record.number} ({record.stripe_invoice_id}) was finalized: check "
            "in Stripe whether it reached the customer before requesting it again."
        )
    return (
        f":x: Invoice {record.id} for {customer_name} ({amount}), requested by {requester}, "
        f"was not issued: {record.failure or 'Stripe refused it'}. {left}"
    )
