"""Invoice items and invoices, following Stripe's rules as the invoicing flow meets them: an
item is attached to a draft invoice (or left pending on the customer), finalizing assigns a
number, a hosted page and a PDF, `send` needs `collection_method=send_invoice` and an open
invoice, `pay` and `void` need an open invoice. Every state change records an event.
"""

from __future__ import annotations

import copy
from typing import Any

from finance_pack.sandbox.stripe import objects
from finance_pack.sandbox.stripe.errors import (
    StripeApiError,
    metadata_param,
    missing,
    non_negative_int_param,
    positive_int_param,
    required_param,
)
from finance_pack.sandbox.stripe.ledger import Ledger, RequestContext

DAY = 86400


class Invoicing(Ledger):
    def create_invoice_item(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            customer = self.customers.get(required_param(params, "customer"))
            if customer is None:
                raise missing("customer", params["customer"], "customer")
            amount = positive_int_param(params, "amount")
            currency = required_param(params, "currency").lower()
            invoice_id = params.get("invoice")
            invoice = None
            if invoice_id is not None:
                invoice = self.invoices.get(invoice_id)
                if invoice is None:
                    raise missing("invoice", invoice_id, "invoice")
                if invoice["status"] != "draft":
                    raise StripeApiError(
                        400, f"Invoice {invoice_id} is not a draft", param="invoice"
                    )
                if invoice["currency"] != currency:
                    raise StripeApiError(400, "Currency must match the invoice's", param="currency")
            item = objects.invoice_item(
                self.now(),
                customer["id"],
                amount,
                currency,
                params.get("description"),
                invoice_id,
                metadata_param(params),
            )
            self.invoice_items[item["id"]] = item
            if invoice is not None:
                self._attach(invoice, item)
            self._emit("invoiceitem.created", item, ctx)
            return copy.deepcopy(item)

    def _attach(self, invoice: dict[str, Any], item: dict[str, Any]) -> None:
        item["invoice"] = invoice["id"]
        invoice["lines"]["data"].append(objects.line_item(item, invoice["id"]))
        total = sum(line["amount"] for line in invoice["lines"]["data"])
        for key in ("amount_due", "amount_remaining", "subtotal", "subtotal_excluding_tax"):
            invoice[key] = total
        invoice["total"] = invoice["total_excluding_tax"] = total

    # --- invoices --------------------------------------------------------------------------

    def create_invoice(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            customer = self.customers.get(required_param(params, "customer"))
            if customer is None:
                raise missing("customer", params["customer"], "customer")
            method = params.get("collection_method", "charge_automatically")
            if method not in ("charge_automatically", "send_invoice"):
                raise StripeApiError(400, "Invalid collection_method", param="collection_method")
            due_date = None
            if method == "send_invoice":
                if "days_until_due" not in params and "due_date" not in params:
                    raise StripeApiError(
                        400,
                        "Missing required param: days_until_due.",
                        code="parameter_missing",
                        param="days_until_due",
                    )
                days = non_negative_int_param(params, "days_until_due", 0)
                due_date = int(params.get("due_date") or self.now() + days * DAY)
            currency = str(params.get("currency") or customer["currency"] or "usd").lower()
            obj = objects.invoice(
                self.now(),
                customer,
                currency,
                method,
                due_date,
                params.get("description"),
                metadata_param(params),
            )
            obj["auto_advance"] = params.get("auto_advance") == "true"
            self.invoices[obj["id"]] = obj
            if params.get("pending_invoice_items_behavior") == "include":
                for item in self.invoice_items.values():
                    pending = item["invoice"] is None and item["customer"] == customer["id"]
                    if pending and item["currency"] == currency:
                        self._attach(obj, item)
            self._emit("invoice.created", obj, ctx)
            return copy.deepcopy(obj)

    def finalize(self, invoice_id: str, ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            invoice = self._invoice(invoice_id, "draft", "finalize")
            self._numbers += 1
            customer = self.customers[invoice["customer"]]
            invoice["number"] = f"{customer['invoice_prefix']}-{self._numbers:04d}"
            now = self.now()
            invoice["status"] = "open"
            invoice["effective_at"] = now
            invoice["status_transitions"]["finalized_at"] = now
            invoice["hosted_invoice_url"] = f"{self.public_url}i/{invoice_id}"
            invoice["invoice_pdf"] = f"{self.public_url}invoice/{invoice_id}/pdf"
            invoice["ending_balance"] = 0
            self._emit("invoice.finalized", invoice, ctx)
            return copy.deepcopy(invoice)

    def send(self, invoice_id: str, ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            invoice = self._invoice(invoice_id, "open", "send")
            if invoice["collection_method"] != "send_invoice":
                raise StripeApiError(
                    400,
                    "You can only manually send an invoice if its collection method is "
                    "'send_invoice'.",
                )
            self._emit("invoice.sent", invoice, ctx)
            return copy.deepcopy(invoice)

    def pay(self, invoice_id: str, ctx: RequestContext | None) -> dict[str, Any]:
        with self._lock:
            invoice = self._invoice(invoice_id, "open", "pay")
            now = self.now()
            invoice.update(
                status="paid",
                amount_paid=invoice["amount_due"],
                amount_remaining=0,
                attempted=True,
                attempt_count=invoice["attempt_count"] + 1,
            )
            invoice["status_transitions"]["paid_at"] = now
            self._emit("invoice.paid", invoice, ctx)
            self._emit("invoice.payment_succeeded", invoice, ctx)
            return copy.deepcopy(invoice)

    def fail_payment(self, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            invoice = self._invoice(invoice_id, "open", "attempt payment on")
            invoice["attempted"] = True
            invoice["attempt_count"] += 1
            self._emit("invoice.payment_failed", invoice, None)
            return copy.deepcopy(invoice)

    def void(self, invoice_id: str, ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            invoice = self._invoice(invoice_id, "open", "void")
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = self.now()
            self._emit("invoice.voided", invoice, ctx)
            return copy.deepcopy(invoice)

    def _invoice(self, invoice_id: str, status: str, action: str) -> dict[str, Any]:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise missing("invoice", invoice_id)
        if invoice["status"] != status:
            raise StripeApiError(
                400,
                f"You can only {action} an invoice whose status is '{status}'; "
                f"{invoice_id} is '{invoice['status']}'.",
                code="invoice_unexpected_status" if status != "draft" else "invoice_not_editable",
            )
        return invoice
