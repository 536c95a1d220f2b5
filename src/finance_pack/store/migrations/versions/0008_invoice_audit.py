"""Invoice state changes go to the append-only audit log; `invoice_history` is folded into it.

The audit log gains `via = 'agent'` (a change an agent made on its own: the Invoice Bot's
steps, its reconciler). Each `invoice_history` row that recorded a change (the request itself is
already audited) becomes an audit record, and the table is dropped, so the invoice timeline has
one source. Invoices that failed before the Invoice Bot told requesters of refusals count as
told (their `failed` notice is recorded as done), so the upgrade posts no backlog of old
failures. On SQLite a CHECK constraint cannot be altered, so the table is rebuilt (its
append-only triggers are dropped first and recreated on the new table).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from finance_pack.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_COLUMNS = "id, at, actor, action, target, before_json, after_json, via"


def _audit_table(name: str, vias: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.Column("via", sa.String(8), nullable=False),
        sa.CheckConstraint(f"via IN ({vias})", name="ck_audit_log_via"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def _set_vias(vias: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_audit_log_via", "audit_log", type_="check")
        op.create_check_constraint("ck_audit_log_via", "audit_log", f"via IN ({vias})")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.rename_table("audit_log", "audit_log_old")
    _audit_table("audit_log", vias)
    op.execute(f"INSERT INTO audit_log ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_log_old")
    op.drop_table("audit_log_old")
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    for statement in _SQLITE_GUARDS:
        op.execute(statement)


def _fold_history() -> None:
    dialect = op.get_bind().dialect.name
    json_object = "json_object" if dialect == "sqlite" else "json_build_object"
    cast = "" if dialect == "sqlite" else "::text"
    op.execute(
        "INSERT INTO audit_log (at, actor, action, target, before_json, after_json, via) "
        "SELECT at, actor, 'invoices.' || to_status, 'invoice:' || invoice_id, "
        f"{json_object}('status', from_status){cast}, "
        f"{json_object}('detail', detail, 'status', to_status){cast}, 'agent' "
        "FROM invoice_history WHERE from_status IS NOT NULL ORDER BY id"
    )
    op.drop_index("ix_invoice_history_invoice_id", table_name="invoice_history")
    op.drop_table("invoice_history")


def _old_failures_told() -> None:
    now = sa.bindparam("now", datetime.now(UTC), type_=UtcDateTime())
    op.get_bind().execute(
        sa.text(
            "INSERT INTO invoice_updates (invoice_id, kind, state, claimed_by, lease_until, "
            "attempts, created_at, posted_at) "
            "SELECT id, 'failed', 'posted', 'migration-0008', :now, 0, :now, :now "
            "FROM invoices WHERE stage = 'failed'"
        ).bindparams(now)
    )


def upgrade() -> None:
    _set_vias("'cli', 'api', 'agent'")
    _fold_history()
    _old_failures_told()


def downgrade() -> None:
    # The audit log is append-only: its `agent` records stay, so the constraint stays too.
    # The history table comes back empty; the timeline remains in the audit log.
    op.create_table(
        "invoice_history",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_history"),
    )
    op.create_index("ix_invoice_history_invoice_id", "invoice_history", ["invoice_id"])
