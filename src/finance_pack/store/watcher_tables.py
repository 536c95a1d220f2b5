"""The Cost Watcher's tables (migration 0006): streamed points, series baselines, incidents,
their alert deliveries (claimed like every Slack post, see store/deliveries.py) and silences.

Amounts are kept as exact decimal text: SQLite has no decimal type."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from finance_pack.store.tables import _delivery_columns, metadata
from finance_pack.store.types import UtcDateTime

# Every accepted point, written before the detector sees it; `cost_store_at` marks the ones
# already handed to the cost store (a separate step, so detection never waits on its lock).
watcher_points = Table(
    "watcher_points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_key", String(512), nullable=False),
    Column("interval_start", UtcDateTime(), nullable=False),
    Column("interval_end", UtcDateTime(), nullable=False),
    Column("cost", String(48), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(12), nullable=False),
    Column("ingested_at", UtcDateTime(), nullable=False),
    Column("cost_store_at", UtcDateTime(), nullable=True),
    UniqueConstraint("series_key", "interval_start", name="uq_watcher_points_series_start"),
    CheckConstraint("status IN ('scored', 'late', 'revised', 'warmup')", name="status"),
)

watcher_series = Table(
    "watcher_series",
    metadata,
    Column("series_key", String(512), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("dimensions_json", Text, nullable=False),
    Column("state_json", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

watcher_incidents = Table(
    "watcher_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_key", String(512), nullable=False, index=True),
    Column("state", String(12), nullable=False),
    Column("severity", String(12), nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("trigger_ingested_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("silence_id", Integer, nullable=True),
    Column("acked_by", String(320), nullable=True),
    Column("acked_at", UtcDateTime(), nullable=True),
    Column("detail_json", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("state IN ('open', 'resolved')", name="state"),
)

# One row per message an incident needs: its alert, each update, its resolution; per sink.
watcher_deliveries = Table(
    "watcher_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False, index=True),
    Column("sink", String(16), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("trigger_ingested_at", UtcDateTime(), nullable=False),
    *_delivery_columns(),
    UniqueConstraint("incident_id", "sink", "kind", "seq", name="uq_watcher_deliveries_key"),
    CheckConstraint("state IN ('claimed', 'posted', 'retry', 'failed')", name="state"),
)

watcher_silences = Table(
    "watcher_silences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(512), nullable=False),
    Column("until", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

__all__ = [
    "watcher_deliveries",
    "watcher_incidents",
    "watcher_points",
    "watcher_series",
    "watcher_silences",
]
