"""Freshness alerts: one Slack post per provider's stale episode and one on its recovery.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from finance_pack.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "freshness_alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("episode", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        # The delivery columns of store/deliveries.py, as in 0003.
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
        sa.PrimaryKeyConstraint("id", name="pk_freshness_alerts"),
        sa.UniqueConstraint("provider", "episode", "kind", name="uq_freshness_alerts_key"),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'retry', 'failed')", name="ck_freshness_alerts_state"
        ),
        sa.CheckConstraint("kind IN ('stale', 'recovered')", name="ck_freshness_alerts_kind"),
    )


def downgrade() -> None:
    op.drop_table("freshness_alerts")
