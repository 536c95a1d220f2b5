"""What the requester is told when an invoice fails depends on how far it got in Stripe."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from finance_pack.agents.invoice_bot.message import failure_text
from finance_pack.store.invoices import InvoiceRecord

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _failed(**values: object) -> InvoiceRecord:
    base: dict[str, object] = {f.name: None for f in fields(InvoiceRecord)}
    base.update(
        id="inv_1",
        customer_id="acme",
        amount_minor=125000,
        currency="USD",
        description="Services",
        days_until_due=30,
        requested_by="user:gina@example.com",
        requested_at=AT,
        request_fingerprint="f",
        stage="failed",
        status="failed",
        updated_at=AT,
        failure="Stripe refused the request: No",
    )
    base.update(values)
    return InvoiceRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "told"),
    [
        ({}, "Nothing was created in Stripe or sent to the customer."),
        ({"stripe_invoice_id": "in_9"}, "Its draft in Stripe (in_9) was not finalized or sent."),
        (
            {"stripe_invoice_id": "in_9", "number": "ACME-0007"},
            "Stripe invoice ACME-0007 (in_9) was finalized: check in Stripe whether it reached "
            "the customer before requesting it again.",
        ),
    ],
)
def test_the_failure_notice_says_what_exists_in_stripe(
    values: dict[str, object], told: str
) -> None:
    text = failure_text(_failed(**values), "Acme Corp")
    assert text == (
        ":x: Invoice inv_1 for Acme Corp (USD 1,250.00), requested by gina@example.com, "
        f"was not issued: Stripe refused the request: No. {told}"
    )
