"""The customer directory, the same from the CLI and the API: validated and audited."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit
from finance_pack.domain.invoices import InvoiceAmountError, stripe_currency
from finance_pack.errors import ConflictError, NotFoundError, UsageError
from finance_pack.store.customers import (
    CustomerExistsError,
    CustomerRecord,
    get_customer,
    insert_customer,
    list_customers,
)

CUSTOMER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{8,})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_customer(
    engine: Engine,
    actor: Actor,
    *,
    customer_id: str,
    name: str,
    email: str | None,
    slack_channel: str | None,
    currency: str,
    now: datetime,
) -> CustomerRecord:
    """A new directory entry; every bad field is a UsageError naming it."""
    if not CUSTOMER_ID.match(customer_id):
        raise UsageError(
            f"customer id {customer_id!r}: use lower-case letters, digits, - and _ (max 64)"
        )
    if not name.strip():
        raise UsageError("customer name: must not be empty")
    if email is not None and not EMAIL.match(email):
        raise UsageError(f"customer email {email!r}: not an email address")
    if slack_channel is not None and not CHANNEL.match(slack_channel):
        raise UsageError(
            f"customer slack channel {slack_channel!r}: expected #name or a channel id"
        )
    try:
        code = stripe_currency(currency)
    except InvoiceAmountError as exc:
        raise UsageError(f"customer {exc}") from exc
    record = CustomerRecord(
        customer_id, name.strip(), email, slack_channel, code, None, now, actor.subject
    )
    with engine.begin() as connection:
        try:
            insert_customer(connection, record)
        except CustomerExistsError:
            raise ConflictError(f"customer {customer_id} already exists") from None
        record_audit(
            connection,
            actor,
            "customers.add",
            f"customer:{customer_id}",
            None,
            record.to_json(),
            via=actor.via,
            at=now,
        )
    return record


def customer_or_404(engine: Engine, customer_id: str) -> CustomerRecord:
    with engine.connect() as connection:
        record = get_customer(connection, customer_id)
    if record is None:
        raise NotFoundError(
            f"no customer {customer_id!r}", hint="add it with: brctl finance customer add"
        )
    return record


def all_customers(engine: Engine) -> list[CustomerRecord]:
    with engine.connect() as connection:
        return list_customers(connection)
