"""Customers, invoices, their delivery claims, thread updates, Stripe events, history.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from finance_pack.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATES = "state IN ('claimed', 'posted', 'retry', 'failed')"


def _delivery_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("posted_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    ]


def _at(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("slack_channel", sa.String(80), nullable=True),
        sa.Column("default_currency", sa.String(3), nullable=False),
        sa.Column("stripe_customer_id", sa.String(64), nullable=True),
        _at("created_at", False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("days_until_due", sa.Integer, nullable=False),
        sa.Column("requested_by", sa.String(320), nullable=False),
        _at("requested_at", False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("stripe_customer_id", sa.String(64), nullable=True),
        sa.Column("stripe_invoice_id", sa.String(64), nullable=True),
        sa.Column("number", sa.String(64), nullable=True),
        sa.Column("hosted_invoice_url", sa.String(1000), nullable=True),
        sa.Column("invoice_pdf_url", sa.String(1000), nullable=True),
        _at("due_date"),
        sa.Column("slack_channel", sa.String(80), nullable=True),
        sa.Column("slack_ts", sa.String(32), nullable=True),
        _at("posted_at"),
        _at("sent_confirmed_at"),
        _at("delivered_at"),
        _at("paid_at"),
        _at("payment_failed_at"),
        _at("voided_at"),
        sa.Column("failure", sa.Text, nullable=True),
        _at("updated_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("stripe_invoice_id", name="uq_invoices_stripe_invoice_id"),
        sa.UniqueConstraint("requested_by", "idempotency_key", name="uq_invoices_idempotency"),
    )
    for column in ("customer_id", "requested_at", "stage", "status"):
        op.create_index(f"ix_invoices_{column}", "invoices", [column])
    op.create_table(
        "invoice_deliveries",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(40), nullable=False),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_deliveries"),
        sa.UniqueConstraint("invoice_id", name="uq_invoice_deliveries_invoice"),
        sa.CheckConstraint(STATES, name="ck_invoice_deliveries_state"),
    )
    op.create_table(
        "invoice_updates",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_updates"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_invoice_updates_key"),
        sa.CheckConstraint(STATES, name="ck_invoice_updates_state"),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("stripe_invoice_id", sa.String(64), nullable=True),
        sa.Column("invoice_id", sa.String(40), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=False),
        _at("received_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_stripe_events"),
    )
    op.create_table(
        "invoice_history",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(40), nullable=False),
        _at("at", False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_history"),
    )
    op.create_index("ix_invoice_history_invoice_id", "invoice_history", ["invoice_id"])


def downgrade() -> None:
    for table in (
        "invoice_history",
        "stripe_events",
        "invoice_updates",
        "invoice_deliveries",
        "invoices",
        "customers",
    ):
        op.drop_table(table)
