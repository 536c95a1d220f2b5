"""The Cost Watcher: streamed points, series baselines, incidents, deliveries, silences.

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from finance_pack.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _delivery_columns() -> list[sa.Column[Any]]:
    """Columns shared by every claimed-then-delivered post (as in 0003)."""
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
        "watcher_points",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(512), nullable=False),
        sa.Column("interval_start", UtcDateTime(), nullable=False),
        sa.Column("interval_end", UtcDateTime(), nullable=False),
        sa.Column("cost", sa.String(48), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("ingested_at", UtcDateTime(), nullable=False),
        sa.Column("cost_store_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_watcher_points"),
        sa.UniqueConstraint("series_key", "interval_start", name="uq_watcher_points_series_start"),
        sa.CheckConstraint(
            "status IN ('scored', 'late', 'revised', 'warmup')", name="ck_watcher_points_status"
        ),
    )
    op.create_table(
        "watcher_series",
        sa.Column("series_key", sa.String(512), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("dimensions_json", sa.Text, nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("series_key", name="pk_watcher_series"),
    )
    op.create_table(
        "watcher_incidents",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("first_seen", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
        sa.Column("trigger_ingested_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("silence_id", sa.Integer, nullable=True),
        sa.Column("acked_by", sa.String(320), nullable=True),
        sa.Column("acked_at", UtcDateTime(), nullable=True),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watcher_incidents"),
        sa.CheckConstraint("state IN ('open', 'resolved')", name="ck_watcher_incidents_state"),
    )
    op.create_index("ix_watcher_incidents_group_key", "watcher_incidents", ["group_key"])
    op.create_table(
        "watcher_deliveries",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("sink", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("trigger_ingested_at", UtcDateTime(), nullable=False),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_watcher_deliveries"),
        sa.UniqueConstraint("incident_id", "sink", "kind", "seq", name="uq_watcher_deliveries_key"),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'retry', 'failed')", name="ck_watcher_deliveries_state"
        ),
    )
    op.create_index("ix_watcher_deliveries_incident_id", "watcher_deliveries", ["incident_id"])
    op.create_table(
        "watcher_silences",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(512), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watcher_silences"),
    )


def downgrade() -> None:
    for table in (
        "watcher_silences",
        "watcher_deliveries",
        "watcher_incidents",
        "watcher_series",
        "watcher_points",
    ):
        op.drop_table(table)
