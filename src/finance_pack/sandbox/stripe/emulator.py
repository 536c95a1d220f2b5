"""The Stripe emulator's state: customers, invoice items, invoices, webhook endpoints, events.

Operations follow Stripe's rules as the invoicing flow meets them: an invoice item is attached
to a draft invoice (or left pending on the customer), finalizing assigns a number, a hosted page
and a PDF, `send` needs `collection_method=send_invoice` and an open invoice, `pay` and `void`
need an open invoice. Every state change records an event and sends it to the endpoints.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from finance_pack.sandbox.slack.faults import FaultPlan
from finance_pack.sandbox.stripe import objects
from finance_pack.sandbox.stripe.forms import FormError, matches, parse_search
from finance_pack.sandbox.stripe.webhooks import WebhookDispatcher

DEFAULT_API_KEY = "sk_test_emulator"
DAY = 86400


class StripeApiError(Exception):
    """An answer with Stripe's error object and status code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = objects.error_body(kind, message, code=code, param=param)


def missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


@dataclass
class _Stored:
    fingerprint: tuple[str, str, str]
    status: int
    body: dict[str, Any]


@dataclass
class RequestContext:
    request_id: str
    idempotency_key: str | None


class StripeEmulator:
    """In-memory Stripe account; thread-safe. `public_url` roots hosted pages and PDF links."""

    def __init__(
        self,
        api_keys: tuple[str, ...] = (DEFAULT_API_KEY,),
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        webhook_attempts: int = 6,
        webhook_backoff_seconds: float = 0.5,
    ) -> None:
        self.api_keys = api_keys
        self.wall_clock = wall_clock
        self.monotonic = monotonic
        self.public_url = "http://127.0.0.1/"
        self.faults = FaultPlan()
        self.webhooks = WebhookDispatcher(
            attempts=webhook_attempts, backoff_seconds=webhook_backoff_seconds
        )
        self.customers: dict[str, dict[str, Any]] = {}
        self.invoice_items: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []  # (method, path) of every accepted request
        self._idempotency: dict[str, _Stored] = {}
        self._lock = threading.RLock()
        self._numbers = 0

    def now(self) -> int:
        return int(self.wall_clock())

    # --- idempotency -----------------------------------------------------------------------

    def replay(self, key: str, fingerprint: tuple[str, str, str]) -> _Stored | None:
        """The stored answer for `key`; an idempotency error when its parameters differ."""
        with self._lock:
            stored = self._idempotency.get(key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                kind="idempotency_error",
            )
        return stored

    def store(self, key: str, fingerprint: tuple[str, str, str], status: int, body: Any) -> None:
        with self._lock:
            self._idempotency.setdefault(key, _Stored(fingerprint, status, body))

    # --- events ----------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any], ctx: RequestContext | None) -> None:
        event = objects.event(
            self.now(),
            event_type,
            copy.deepcopy(obj),
            ctx.request_id if ctx else None,
            ctx.idempotency_key if ctx else None,
        )
        targets = [
            e
            for e in self.endpoints.values()
            if e["status"] == "enabled"
            and ("*" in e["enabled_events"] or event_type in e["enabled_events"])
        ]
        event["pending_webhooks"] = len(targets)
        self.events.append(event)
        for endpoint in targets:
            self.webhooks.enqueue(endpoint["url"], endpoint["secret"], event)

    # --- customers -------------------------------------------------------------------------

    def create_customer(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            prefix = "".join(secrets.choice("ABCDEF0123456789") for _ in range(8))
            obj = objects.customer(
                self.now(),
                params.get("name"),
                params.get("email"),
                _metadata(params),
                prefix,
            )
            self.customers[obj["id"]] = obj
            self._emit("customer.created", obj, ctx)
            return copy.deepcopy(obj)

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        table = {
            "customer": self.customers,
            "invoice": self.invoices,
            "invoiceitem": self.invoice_items,
            "webhook_endpoint": self.endpoints,
        }[kind]
        with self._lock:
            obj = table.get(object_id)
            if obj is None:
                raise missing(kind, object_id)
            return copy.deepcopy(obj)

    def search(self, kind: str, query: str) -> list[dict[str, Any]]:
        try:
            clauses = parse_search(query)
        except FormError as exc:
            raise StripeApiError(400, str(exc), param="query") from exc
        table = self.customers if kind == "customer" else self.invoices
        with self._lock:
            found = [copy.deepcopy(o) for o in table.values() if matches(o, clauses)]
        return list(reversed(found))

    # --- invoice items ---------------------------------------------------------------------

    def create_invoice_item(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            customer = self.customers.get(_required(params, "customer"))
            if customer is None:
                raise missing("customer", params["customer"], "customer")
            amount = _positive_int(params, "amount")
            currency = _required(params, "currency").lower()
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
                _metadata(params),
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
            customer = self.customers.get(_required(params, "customer"))
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
                days = _non_negative_int(params, "days_until_due", 0)
                due_date = int(params.get("due_date") or self.now() + days * DAY)
            currency = str(params.get("currency") or customer["currency"] or "usd").lower()
            obj = objects.invoice(
                self.now(),
                customer,
                currency,
                method,
                due_date,
                params.get("description"),
                _metadata(params),
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

    # --- webhook endpoints -----------------------------------------------------------------

    def create_endpoint(self, params: dict[str, Any], ctx: RequestContext | None) -> dict[str, Any]:
        url = _required(params, "url")
        events = params.get("enabled_events")
        if not isinstance(events, list) or not events:
            raise StripeApiError(
                400, "Missing required param: enabled_events.", param="enabled_events"
            )
        secret = "whsec_" + secrets.token_hex(16)
        with self._lock:
            obj = objects.webhook_endpoint(
                self.now(), url, [str(e) for e in events], params.get("description"), secret
            )
            self.endpoints[obj["id"]] = obj
            return copy.deepcopy(obj)

    def list_of(self, kind: str, filters: dict[str, str]) -> list[dict[str, Any]]:
        table = {
            "customer": self.customers,
            "invoice": self.invoices,
            "invoiceitem": self.invoice_items,
            "webhook_endpoint": self.endpoints,
        }[kind]
        with self._lock:
            rows = [copy.deepcopy(o) for o in table.values() if _filtered(o, filters)]
            if kind == "webhook_endpoint":
                for row in rows:
                    row.pop("secret", None)  # Stripe shows the secret only at creation
        return list(reversed(rows))  # newest first: objects are kept in creation order

    def list_events(self, filters: dict[str, str], created_gte: int | None) -> list[dict[str, Any]]:
        with self._lock:
            rows = [
                copy.deepcopy(e)
                for e in self.events
                if (created_gte is None or e["created"] >= created_gte) and _filtered(e, filters)
            ]
        return list(reversed(rows))

    def close(self) -> None:
        self.webhooks.close()


def _filtered(obj: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(str(obj.get(key)) == value for key, value in filters.items())


def _metadata(params: dict[str, Any]) -> dict[str, str]:
    value = params.get("metadata") or {}
    if not isinstance(value, dict):
        raise StripeApiError(400, "Invalid hash", param="metadata")
    return {str(k): str(v) for k, v in value.items()}


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise StripeApiError(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return str(value)


def _positive_int(params: dict[str, Any], name: str) -> int:
    text = _required(params, name)
    if not text.isdigit() or int(text) <= 0:
        raise StripeApiError(
            400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        )
    return int(text)


def _non_negative_int(params: dict[str, Any], name: str, default: int) -> int:
    text = str(params.get(name, default))
    if not text.isdigit():
        raise StripeApiError(
            400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        )
    return int(text)
