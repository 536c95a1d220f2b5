"""Invoices in the state store: requests, pipeline progress, Stripe facts, events.

Their timeline is the audit log (services/invoices.py writes a record for each change in the
change's own transaction): one truth, append-only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from finance_pack.domain.invoices import (
    WORKING_STAGES,
    Facts,
    Stage,
    Status,
    settle_delivery,
    status_of,
)
from finance_pack.store.tables import invoices, stripe_events


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    id: str
    customer_id: str
    amount_minor: int
    currency: str
    description: str
    days_until_due: int
    requested_by: str
    requested_at: datetime
    idempotency_key: str | None
    request_fingerprint: str
    stage: str
    status: str
    stripe_customer_id: str | None
    stripe_invoice_id: str | None
    number: str | None
    hosted_invoice_url: str | None
    invoice_pdf_url: str | None
    due_date: datetime | None
    slack_channel: str | None
    slack_ts: str | None
    posted_at: datetime | None
    sent_confirmed_at: datetime | None
    delivered_at: datetime | None
    paid_at: datetime | None
    payment_failed_at: datetime | None
    voided_at: datetime | None
    failure: str | None
    updated_at: datetime

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    @property
    def facts(self) -> Facts:
        return Facts(self.sent_confirmed_at, self.paid_at, self.payment_failed_at, self.voided_at)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data.pop("request_fingerprint")
        return data


_FIELDS = [f.name for f in fields(InvoiceRecord)]


def _record(row: Any) -> InvoiceRecord:
    mapping = row._mapping
    return InvoiceRecord(**{name: mapping[name] for name in _FIELDS})


def insert_invoice(connection: Connection, record: InvoiceRecord) -> None:
    """Raises IntegrityError when (requested_by, idempotency_key) is taken: the caller's
    transaction rolls back and it reads the invoice the concurrent duplicate created."""
    connection.execute(invoices.insert().values(**asdict(record)))


def get_invoice(connection: Connection, invoice_id: str) -> InvoiceRecord | None:
    row = connection.execute(select(invoices).where(invoices.c.id == invoice_id)).first()
    return None if row is None else _record(row)


def find_by_key(connection: Connection, requested_by: str, key: str) -> InvoiceRecord | None:
    row = connection.execute(
        select(invoices).where(
            invoices.c.requested_by == requested_by, invoices.c.idempotency_key == key
        )
    ).first()
    return None if row is None else _record(row)


def find_by_stripe_id(connection: Connection, stripe_invoice_id: str) -> InvoiceRecord | None:
    row = connection.execute(
        select(invoices).where(invoices.c.stripe_invoice_id == stripe_invoice_id)
    ).first()
    return None if row is None else _record(row)


def list_invoices(
    connection: Connection,
    *,
    status: str | None = None,
    customer_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = 100,
) -> list[InvoiceRecord]:
    query = select(invoices).order_by(invoices.c.requested_at.desc(), invoices.c.id)
    if status is not None:
        query = query.where(invoices.c.status == status)
    if customer_id is not None:
        query = query.where(invoices.c.customer_id == customer_id)
    if since is not None:
        query = query.where(invoices.c.requested_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return [_record(row) for row in connection.execute(query)]


def working_invoice_ids(engine: Engine, limit: int = 200) -> list[str]:
    """Invoices with a worker step left, oldest request first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(invoices.c.id)
            .where(invoices.c.stage.in_([s.value for s in WORKING_STAGES]))
            .order_by(invoices.c.requested_at)
            .limit(limit)
        )
        return [row.id for row in rows]


@dataclass(frozen=True, slots=True)
class InvoiceChange:
    """An invoice as it was just before a change (read under the row lock) and after it."""

    before: InvoiceRecord
    after: InvoiceRecord

    @property
    def status_changed(self) -> bool:
        return self.before.status != self.after.status


def change_invoice(
    connection: Connection,
    current: InvoiceRecord,
    values: dict[str, Any],
    *,
    now: datetime,
) -> InvoiceChange:
    """Apply `values` to the row as it is now (not as `current` was read: a webhook may have
    changed it meanwhile), settle delivery and recompute `status`. The first statement takes
    the row's write lock (SQLite and PostgreSQL), so concurrent changes serialise instead of
    overwriting each other; the caller records the change in the audit log."""
    connection.execute(update(invoices).where(invoices.c.id == current.id).values(updated_at=now))
    row = connection.execute(select(invoices).where(invoices.c.id == current.id)).one()
    fresh = _record(row)
    merged = {**asdict(fresh), **values}
    facts = Facts(
        merged["sent_confirmed_at"],
        merged["paid_at"],
        merged["payment_failed_at"],
        merged["voided_at"],
    )
    stage = settle_delivery(Stage(merged["stage"]), facts)
    if stage is Stage.DELIVERED and merged["delivered_at"] is None:
        merged.update(stage=stage.value, delivered_at=now)
    status: Status = status_of(stage, facts)
    merged["status"] = status.value
    merged["updated_at"] = now
    changed = {k: v for k, v in merged.items() if getattr(fresh, k) != v}
    if changed:
        connection.execute(update(invoices).where(invoices.c.id == fresh.id).values(**changed))
    return InvoiceChange(fresh, InvoiceRecord(**merged))


def remember_event(
    connection: Connection,
    event_id: str,
    event_type: str,
    stripe_invoice_id: str | None,
    invoice_id: str | None,
    outcome: str,
    now: datetime,
) -> None:
    """Record a Stripe event once. A replay raises IntegrityError, rolling back the caller's
    whole transaction (the event's effect with it)."""
    connection.execute(
        stripe_events.insert().values(
            id=event_id,
            type=event_type,
            stripe_invoice_id=stripe_invoice_id,
            invoice_id=invoice_id,
            outcome=outcome,
            received_at=now,
        )
    )


UPDATE_KINDS = {"paid": "paid_at", "payment_failed": "payment_failed_at", "void": "voided_at"}
# The requester's notice that Stripe refused the invoice (kept in `invoice_updates` too).
FAILURE_NOTICE = "failed"


def pending_updates(engine: Engine, limit: int = 100) -> list[tuple[InvoiceRecord, str]]:
    """(invoice, kind) for outcomes not yet posted in the invoice's Slack thread."""
    from sqlalchemy import and_, exists

    from finance_pack.store.tables import invoice_updates

    found: list[tuple[InvoiceRecord, str]] = []
    with engine.connect() as connection:
        for kind, column in UPDATE_KINDS.items():
            posted = exists().where(
                and_(
                    invoice_updates.c.invoice_id == invoices.c.id,
                    invoice_updates.c.kind == kind,
                    invoice_updates.c.state == "posted",
                )
            )
            rows = connection.execute(
                select(invoices)
                .where(invoices.c.slack_ts.is_not(None), invoices.c[column].is_not(None), ~posted)
                .limit(limit)
            )
            found.extend((_record(row), kind) for row in rows)
    return found


def failed_without_notice(engine: Engine, limit: int = 100) -> list[InvoiceRecord]:
    """Failed invoices whose requester has not been told in Slack yet."""
    from sqlalchemy import and_, exists

    from finance_pack.store.tables import invoice_updates

    told = exists().where(
        and_(
            invoice_updates.c.invoice_id == invoices.c.id,
            invoice_updates.c.kind == FAILURE_NOTICE,
            invoice_updates.c.state == "posted",
        )
    )
    with engine.connect() as connection:
        rows = connection.execute(
            select(invoices)
            .where(invoices.c.stage == Stage.FAILED.value, ~told)
            .order_by(invoices.c.requested_at)
            .limit(limit)
        )
        return [_record(row) for row in rows]
