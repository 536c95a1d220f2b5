"""Invoice use cases shared by the CLI, the API and the Invoice Bot: request, read, and apply
what Stripe's events say. Each change is one transaction with its audit record: the audit log
is the invoice's timeline (who moved it from which status to which, for how much, and why)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from finance_pack.access.actors import Actor, Via
from finance_pack.access.audit import read_audit, record_audit
from finance_pack.config import FinanceConfig
from finance_pack.domain.invoices import (
    InvoiceAmountError,
    Stage,
    WebhookFact,
    parse_invoice_amount,
    reached,
    stripe_currency,
    stripe_exponent,
)
from finance_pack.errors import ConflictError, NotFoundError, UsageError
from finance_pack.services.customers import customer_or_404
from finance_pack.store.invoices import (
    InvoiceRecord,
    change_invoice,
    find_by_key,
    find_by_stripe_id,
    get_invoice,
    insert_invoice,
    remember_event,
)

BOT = "agent:invoice-bot"
# The system actor of changes that Stripe's signed webhooks make (they arrive through the API).
STRIPE_WEBHOOK = "system:stripe-webhook"
MAX_DESCRIPTION = 500


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    customer_id: str
    amount: str
    currency: str | None
    description: str | None
    due_days: int | None


def new_invoice_id() -> str:
    return "inv_" + secrets.token_hex(10)


def _fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def request_invoice(
    engine: Engine,
    config: FinanceConfig,
    actor: Actor,
    request: InvoiceRequest,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[InvoiceRecord, bool]:
    """Record a request for the Invoice Bot; returns (invoice, created).

    The same idempotency key with the same request returns the first invoice (created False);
    with another request it is a ConflictError (HTTP 409). Bad input is a UsageError naming the
    field and value, and nothing is written.
    """
    customer = customer_or_404(engine, request.customer_id)
    currency = request.currency or customer.default_currency
    try:
        code = stripe_currency(currency)
        amount = parse_invoice_amount(
            request.amount, code, config.stripe.max_invoice_amounts.get(code)
        )
    except InvoiceAmountError as exc:
        raise UsageError(f"invoice {exc}") from exc
    due_days = config.stripe.days_until_due if request.due_days is None else request.due_days
    if not 0 <= due_days <= 365:
        raise UsageError(f"invoice due days {due_days}: must be between 0 and 365")
    description = (request.description or f"Services for {customer.name}").strip()
    if len(description) > MAX_DESCRIPTION:
        raise UsageError(f"invoice description: longer than {MAX_DESCRIPTION} characters")
    fingerprint = _fingerprint(
        {
            "customer": customer.id,
            "amount_minor": amount.minor_units,
            "currency": amount.currency,
            "description": description,
            "due_days": due_days,
        }
    )
    if idempotency_key is not None:
        existing = _same_request(engine, actor.subject, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    record = InvoiceRecord(
        id=new_invoice_id(),
        customer_id=customer.id,
        amount_minor=amount.minor_units,
        currency=amount.currency,
        description=description,
        days_until_due=due_days,
        requested_by=actor.subject,
        requested_at=now,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        stage=Stage.REQUESTED.value,
        status=Stage.REQUESTED.value,
        **{name: None for name in _UNSET},
        updated_at=now,
    )
    try:
        with engine.begin() as connection:
            insert_invoice(connection, record)
            after = {**record.to_json(), "amount": _major_units(record)}
            record_audit(
                connection,
                actor,
                "invoices.request",
                f"invoice:{record.id}",
                None,
                after,
                via=actor.via,
                at=now,
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        existing = _same_request(engine, actor.subject, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return record, True


_UNSET = (
    "stripe_customer_id",
    "stripe_invoice_id",
    "number",
    "hosted_invoice_url",
    "invoice_pdf_url",
    "due_date",
    "slack_channel",
    "slack_ts",
    "posted_at",
    "sent_confirmed_at",
    "delivered_at",
    "paid_at",
    "payment_failed_at",
    "voided_at",
    "failure",
)


def _same_request(engine: Engine, subject: str, key: str, fingerprint: str) -> InvoiceRecord | None:
    with engine.connect() as connection:
        existing = find_by_key(connection, subject, key)
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise ConflictError(
            f"idempotency key {key!r} was used for another request (invoice {existing.id})",
            hint="use a new key for a new invoice",
        )
    return existing


def invoice_or_404(engine: Engine, invoice_id: str) -> InvoiceRecord:
    with engine.connect() as connection:
        record = get_invoice(connection, invoice_id)
    if record is None:
        raise NotFoundError(f"no invoice {invoice_id!r}", hint="see: brctl finance invoice list")
    return record


def invoice_detail(engine: Engine, invoice_id: str) -> dict[str, Any]:
    """The invoice with its timeline, read from the audit log (its one record of changes)."""
    record = invoice_or_404(engine, invoice_id)
    with engine.connect() as connection:
        records = read_audit(connection, subject=f"invoice:{invoice_id}")
    steps = [
        {
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "from": (entry.before or {}).get("status"),
            "to": (entry.after or {}).get("status"),
            "detail": (entry.after or {}).get("detail"),
        }
        # In the order they were recorded (the log's ids): replicas' and webhooks' clocks may
        # differ by more than the steps are apart.
        for entry in records
        if entry.target == f"invoice:{invoice_id}"
    ]
    return {**invoice_json(record), "history": steps}


def _major_units(record: InvoiceRecord) -> str:
    exponent = stripe_exponent(record.currency)
    return f"{Decimal(record.amount_minor).scaleb(-exponent):.{exponent}f}"


def change_invoice_audited(
    connection: Connection,
    current: InvoiceRecord,
    values: dict[str, Any],
    *,
    actor: str,
    via: Via,
    now: datetime,
    detail: str | None = None,
) -> InvoiceRecord:
    """Change the invoice and, when its status moved or Stripe told us something (`detail`),
    append the audit record in the same transaction: `invoices.<new status>` on
    `invoice:<id>` with the amount, currency and the Stripe ids known so far."""
    change = change_invoice(connection, current, values, now=now)
    if change.status_changed or detail is not None:
        after = change.after
        record_audit(
            connection,
            actor,
            f"invoices.{after.status}" if change.status_changed else "invoices.stripe_event",
            f"invoice:{after.id}",
            {"status": change.before.status},
            {
                "status": after.status,
                "stage": after.stage,
                "amount": _major_units(after),
                "currency": after.currency,
                "customer_id": after.customer_id,
                "requested_by": after.requested_by,
                "stripe_invoice_id": after.stripe_invoice_id,
                "number": after.number,
                "failure": after.failure,
                "detail": detail,
            },
            via=via,
            at=now,
        )
    return change.after


def invoice_json(record: InvoiceRecord) -> dict[str, Any]:
    data = record.to_json()
    data["amount"] = _major_units(record)
    data["latency_seconds"] = (
        None
        if record.delivered_at is None
        else round((record.delivered_at - record.requested_at).total_seconds(), 3)
    )
    return data


# --- Stripe's events ------------------------------------------------------------------------

_FACT_COLUMN = {
    WebhookFact.SENT: "sent_confirmed_at",
    WebhookFact.PAID: "paid_at",
    WebhookFact.PAYMENT_FAILED: "payment_failed_at",
    WebhookFact.VOIDED: "voided_at",
}


def apply_stripe_event(
    engine: Engine,
    event: dict[str, Any],
    now: datetime,
    *,
    actor: str = STRIPE_WEBHOOK,
    via: Via = "api",
) -> str:
    """Apply a verified event once, in any order; returns what happened to it. The change is
    audited under `actor`: the webhook by default, the Invoice Bot when its reconciler found
    the event in Stripe's log.

    "duplicate": seen before, nothing changed. "unknown_invoice": not one of ours (recorded, so
    Stripe stops retrying). "ignored": a type we do not act on. "applied": recorded and applied.
    """
    event_id, event_type = str(event["id"]), str(event["type"])
    obj = (event.get("data") or {}).get("object") or {}
    stripe_id = obj.get("id") if obj.get("object") == "invoice" else None
    request_id = (obj.get("metadata") or {}).get("finance_request_id")
    try:
        with engine.begin() as connection:
            record = find_by_stripe_id(connection, stripe_id) if stripe_id else None
            if record is None and request_id:
                record = get_invoice(connection, str(request_id))
            outcome = _outcome(event_type, record)
            remember_event(
                connection,
                event_id,
                event_type,
                stripe_id,
                record.id if record else None,
                outcome,
                now,
            )
            if outcome == "applied" and record is not None:
                audit = _Audit(actor, via, now, f"{event_type} ({event_id})")
                _apply(connection, record, WebhookFact(event_type), obj, event, audit)
    except IntegrityError:
        return "duplicate"
    return outcome


def _outcome(event_type: str, record: InvoiceRecord | None) -> str:
    if event_type not in {fact.value for fact in WebhookFact}:
        return "ignored"
    return "unknown_invoice" if record is None else "applied"


@dataclass(frozen=True, slots=True)
class _Audit:
    actor: str
    via: Via
    now: datetime
    detail: str


def _apply(
    connection: Connection,
    record: InvoiceRecord,
    fact: WebhookFact,
    obj: dict[str, Any],
    event: dict[str, Any],
    audit: _Audit,
) -> None:
    def change(values: dict[str, Any]) -> None:
        change_invoice_audited(
            connection,
            record,
            values,
            actor=audit.actor,
            via=audit.via,
            now=audit.now,
            detail=audit.detail,
        )

    if fact is WebhookFact.FINALIZATION_FAILED:
        if not reached(record.stage_enum, Stage.FINALIZED):
            error = (obj.get("last_finalization_error") or {}).get("message") or "unknown"
            change(
                {
                    "stage": Stage.FAILED.value,
                    "failure": f"Stripe could not finalize the invoice: {error}",
                }
            )
        return
    column = _FACT_COLUMN.get(fact)
    if column is None or getattr(record, column) is not None:
        return  # invoice.finalized changes nothing we track; a known fact stays as first seen
    at = datetime.fromtimestamp(int(event.get("created") or audit.now.timestamp()), UTC)
    change({column: min(at, audit.now)})


def delivery_on_post(now: datetime) -> dict[str, Any]:
    """Values for an invoice whose Slack post is recorded; `change_invoice` makes it
    `delivered` at once when Stripe's `invoice.sent` came first."""
    return {"stage": Stage.POSTED.value, "posted_at": now}
