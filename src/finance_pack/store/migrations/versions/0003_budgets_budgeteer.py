"""Budgets managed at run time, the Budgeteer's weekly posts and threshold alerts, agent state.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from finance_pack.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _delivery_columns() -> list[sa.Column[Any]]:
    """Columns shared by every claimed-then-delivered Slack post."""
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


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("amount", sa.Numeric(38, 12), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("scope_json", sa.Text, nullable=False),
        sa.Column("thresholds_json", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_budgets"),
    )
    op.create_table(
        "budgeteer_posts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("slot_key", sa.String(32), nullable=False),
        sa.Column("slot_at", UtcDateTime(), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_budgeteer_posts"),
        sa.UniqueConstraint("channel", "slot_key", name="uq_budgeteer_posts_channel_slot"),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'retry', 'failed')", name="ck_budgeteer_posts_state"
        ),
    )
    op.create_table(
        "threshold_alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("budget", sa.String(64), nullable=False),
        sa.Column("threshold", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_threshold_alerts"),
        sa.UniqueConstraint("budget", "threshold", "month", name="uq_threshold_alerts_key"),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'retry', 'failed')", name="ck_threshold_alerts_state"
        ),
    )
    op.create_table(
        "agent_state",
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agent", "key", name="pk_agent_state"),
    )


def downgrade() -> None:
    for table in ("agent_state", "threshold_alerts", "budgeteer_posts", "budgets"):
        op.drop_table(table)
