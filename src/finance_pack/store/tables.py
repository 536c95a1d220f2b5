"""State-store tables (SQLAlchemy Core). Alembic migrations under `migrations/` create them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from finance_pack.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

store_info = Table(
    "store_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# API tokens: only a SHA-256 of each token is kept; the token itself is shown once at creation.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject", String(320), nullable=False, index=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# Append-only (triggers refuse UPDATE and DELETE): who did what, when, to what, before and after.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("actor", String(320), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("target", String(512), nullable=False),
    Column("before_json", Text, nullable=True),
    Column("after_json", Text, nullable=True),
    Column("via", String(8), nullable=False),
    # `agent`: a change an agent made on its own (the Invoice Bot's steps, its reconciler).
    CheckConstraint("via IN ('cli', 'api', 'agent')", name="via"),
)


# --- Budgets and the Budgeteer (migration 0003) -------------------------------------------

# Budgets managed at run time (CLI/API). finance.yaml's budgets apply where no row overrides them.
budgets = Table(
    "budgets",
    metadata,
    Column("name", String(64), primary_key=True),
    # Exact money on every database: integer minor units of `currency` (migration 0004).
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("scope_json", Text, nullable=False),
    Column("thresholds_json", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(320), nullable=False),
)


def _delivery_columns() -> list[Column[Any]]:
    """What every claimed-then-delivered Slack post records (see store/deliveries.py)."""
    return [
        Column("state", String(16), nullable=False),
        Column("claimed_by", String(64), nullable=False),
        Column("lease_until", UtcDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UtcDateTime(), nullable=True),
        Column("last_error", Text, nullable=True),
        Column("channel_id", String(32), nullable=True),
        Column("message_ts", String(32), nullable=True),
        Column("posted_at", UtcDateTime(), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
    ]


# One row per channel and week: the unique key is the claim that makes a post happen once.
budgeteer_posts = Table(
    "budgeteer_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(80), nullable=False),
    Column("slot_key", String(32), nullable=False),
    Column("slot_at", UtcDateTime(), nullable=False),
    Column("late", Boolean, nullable=False, default=False),
    *_delivery_columns(),
    UniqueConstraint("channel", "slot_key", name="uq_budgeteer_posts_channel_slot"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
)

# One alert per budget, threshold and month, claimed the same way.
threshold_alerts = Table(
    "threshold_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("budget", String(64), nullable=False),
    Column("threshold", String(32), nullable=False),
    Column("month", String(7), nullable=False),
    *_delivery_columns(),
    UniqueConstraint("budget", "threshold", "month", name="uq_threshold_alerts_key"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
)

# One alert per provider's stale episode (named by its newest data then) and one on recovery.
freshness_alerts = Table(
    "freshness_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(64), nullable=False),
    Column("episode", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    *_delivery_columns(),
    UniqueConstraint("provider", "episode", "kind", name="uq_freshness_alerts_key"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
    CheckConstraint("kind IN ('stale', 'recovered')", name="kind"),
)

# Small durable facts agents keep between restarts (e.g. when the Budgeteer first ran).
agent_state = Table(
    "agent_state",
    metadata,
    Column("agent", String(32), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


# --- Customers and the Invoice Bot (migration 0005) ----------------------------------------

# The customer directory: who is billed, where their invoices are posted, their Stripe id.
customers = Table(
    "customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("slack_channel", String(80), nullable=True),
    Column("default_currency", String(3), nullable=False),
    Column("stripe_customer_id", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(320), nullable=False),
)

# One row per requested invoice; `stage` is the pipeline step reached, the *_at columns are
# what Stripe's webhooks reported, `status` is both combined (domain/invoices.py).
invoices = Table(
    "invoices",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("description", String(500), nullable=False),
    Column("days_until_due", Integer, nullable=False),
    Column("requested_by", String(320), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False, index=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_fingerprint", String(64), nullable=False),
    Column("stage", String(24), nullable=False, index=True),
    Column("status", String(24), nullable=False, index=True),
    Column("stripe_customer_id", String(64), nullable=True),
    Column("stripe_invoice_id", String(64), nullable=True, unique=True),
    Column("number", String(64), nullable=True),
    Column("hosted_invoice_url", String(1000), nullable=True),
    Column("invoice_pdf_url", String(1000), nullable=True),
    Column("due_date", UtcDateTime(), nullable=True),
    Column("slack_channel", String(80), nullable=True),
    Column("slack_ts", String(32), nullable=True),
    Column("posted_at", UtcDateTime(), nullable=True),
    Column("sent_confirmed_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("paid_at", UtcDateTime(), nullable=True),
    Column("payment_failed_at", UtcDateTime(), nullable=True),
    Column("voided_at", UtcDateTime(), nullable=True),
    Column("failure", Text, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("requested_by", "idempotency_key", name="uq_invoices_idempotency"),
)

# The claim on an invoice's pipeline (Stripe steps through the Slack post), as for every
# other delivery (store/deliveries.py): exactly one worker drives an invoice at a time.
invoice_deliveries = Table(
    "invoice_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(40), nullable=False),
    *_delivery_columns(),
    UniqueConstraint("invoice_id", name="uq_invoice_deliveries_invoice"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
)

# Thread replies (paid, payment failed, void): one per invoice and kind.
invoice_updates = Table(
    "invoice_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(40), nullable=False),
    Column("kind", String(24), nullable=False),
    *_delivery_columns(),
    UniqueConstraint("invoice_id", "kind", name="uq_invoice_updates_key"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
)

# Each Stripe event once: the primary key de-duplicates replays and retries.
stripe_events = Table(
    "stripe_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("stripe_invoice_id", String(64), nullable=True),
    Column("invoice_id", String(40), nullable=True),
    Column("outcome", String(24), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)
