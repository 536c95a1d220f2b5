"""The Stripe steps of an invoice, one per stage; each is idempotent under its own key.

A step calls Stripe with the Idempotency-Key of (request, step) and returns the values to
record with the next stage. Re-running a step after a crash replays Stripe's stored answer, so
nothing is created twice. Past Stripe's 24-hour key expiry a finalize or send may answer that
the invoice is no longer a draft or already open: the step then reads the invoice and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from finance_pack.domain.invoices import Stage, next_stage, step_idempotency_key
from finance_pack.providers.stripe import StripeGateway, StripeInvoice, StripeRejectedError
from finance_pack.store.customers import CustomerRecord
from finance_pack.store.invoices import InvoiceRecord


class AmountMismatchError(Exception):
    """Stripe's finalized total differs from the request: never send such an invoice."""


@dataclass
class StripeSteps:
    stripe: StripeGateway

    def run(self, record: InvoiceRecord, customer: CustomerRecord) -> dict[str, Any]:
        """Perform `record`'s next Stripe step; the values to store, with the new stage."""
        stage = record.stage_enum
        done = next_stage(stage)
        key = step_idempotency_key(record.id, done)
        values = self._step(stage, record, customer, key)
        return {**values, "stage": done.value}

    def _step(
        self, stage: Stage, record: InvoiceRecord, customer: CustomerRecord, key: str
    ) -> dict[str, Any]:
        if stage is Stage.REQUESTED:
            stripe_id = customer.stripe_customer_id or self.stripe.find_or_create_customer(
                customer.id, customer.name, customer.email, f"finance-customer-{customer.id}"
            )
            return {"stripe_customer_id": stripe_id}
        stripe_customer = str(record.stripe_customer_id)
        metadata = {"finance_request_id": record.id, "finance_customer_id": customer.id}
        if stage is Stage.CUSTOMER_READY:
            created = self.stripe.create_invoice(
                stripe_customer,
                record.currency,
                record.days_until_due,
                record.description,
                metadata,
                key,
            )
            return {"stripe_invoice_id": created.id}
        invoice_id = str(record.stripe_invoice_id)
        if stage is Stage.INVOICE_CREATED:
            self.stripe.add_item(
                stripe_customer,
                invoice_id,
                record.amount_minor,
                record.currency,
                record.description,
                metadata,
                key,
            )
            return {}
        if stage is Stage.ITEM_CREATED:
            finalized = self._or_current(lambda: self.stripe.finalize(invoice_id, key), invoice_id)
            _check_amount(record, finalized)
            return _finalized_values(finalized)
        if stage is Stage.FINALIZED:
            self._or_current(lambda: self.stripe.send(invoice_id, key), invoice_id)
            return {}
        raise ValueError(f"no Stripe step at stage {stage}")

    def _or_current(self, call: Any, invoice_id: str) -> StripeInvoice:
        try:
            result: StripeInvoice = call()
            return result
        except StripeRejectedError as exc:
            if exc.code not in ("invoice_unexpected_status", "invoice_not_editable"):
                raise
            current = self.stripe.retrieve(invoice_id)
            if current.status in ("open", "paid"):
                return current
            raise


def _check_amount(record: InvoiceRecord, invoice: StripeInvoice) -> None:
    if invoice.amount_due != record.amount_minor or invoice.currency != record.currency.lower():
        raise AmountMismatchError(
            f"Stripe finalized {invoice.id} for {invoice.amount_due} {invoice.currency}, "
            f"but {record.amount_minor} {record.currency.lower()} was requested"
        )


def _finalized_values(invoice: StripeInvoice) -> dict[str, Any]:
    due = datetime.fromtimestamp(invoice.due_date, UTC) if invoice.due_date else None
    return {
        "number": invoice.number,
        "hosted_invoice_url": invoice.hosted_invoice_url,
        "invoice_pdf_url": invoice.invoice_pdf,
        "due_date": due,
    }
