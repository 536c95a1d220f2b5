"""The append-only audit log: one record per mutating action, in the change's own transaction.

    with engine.begin() as connection:
        ...the change...
        record_audit(connection, actor, "budgets.update", "budget:core", before, after, via="cli")

A failed action rolls its transaction back, record included; nothing ever updates or deletes a
record (the migration installs triggers that refuse it). Before/after are JSON; never put a
secret in them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from finance_pack.access.actors import Actor, Via
from finance_pack.access.tokens import TokenRecord, get_token, revoke_token
from finance_pack.store.tables import audit_log


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    via: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "via": self.via,
        }


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def record_audit(
    connection: Connection,
    actor: Actor | str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    via: Via,
    *,
    at: datetime,
) -> None:
    """Append one record inside the caller's transaction, at `at` (the caller's clock)."""
    when = at
    if when.tzinfo is None:
        raise ValueError("audit times are timezone-aware UTC")
    connection.execute(
        audit_log.insert().values(
            at=when.astimezone(UTC),
            actor=actor.subject if isinstance(actor, Actor) else actor,
            action=action,
            target=target,
            before_json=_dump(before),
            after_json=_dump(after),
            via=via,
        )
    )


@contextmanager
def audited_transaction(
    engine: Engine,
    actor: Actor | str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    via: Via,
    *,
    at: datetime,
) -> Iterator[Connection]:
    """A transaction that already holds the record; the body makes the change or raises."""
    with engine.begin() as connection:
        record_audit(connection, actor, action, target, before, after, via, at=at)
        yield connection


def read_audit(
    connection: Connection,
    *,
    since: datetime | None = None,
    subject: str | None = None,
    limit: int | None = None,
) -> list[AuditRecord]:
    """Records oldest first; `subject` matches the actor or the target."""
    query = select(audit_log).order_by(audit_log.c.id)
    if since is not None:
        query = query.where(audit_log.c.at >= since.astimezone(UTC))
    if subject is not None:
        query = query.where((audit_log.c.actor == subject) | (audit_log.c.target == subject))
    if limit is not None:
        query = query.order_by(None).order_by(audit_log.c.id.desc()).limit(limit)
    rows = list(connection.execute(query))
    if limit is not None:
        rows.reverse()
    return [
        AuditRecord(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            before=json.loads(row.before_json) if row.before_json is not None else None,
            after=json.loads(row.after_json) if row.after_json is not None else None,
            via=row.via,
        )
        for row in rows
    ]


def revoke_token_audited(
    engine: Engine, token_id: str, actor: Actor, now: datetime
) -> tuple[TokenRecord, bool]:
    """Revoke a token and record it, in one transaction; returns (token, changed).

    Raises NotFoundError for an unknown id. Revoking a revoked token changes nothing and
    records nothing.
    """
    with engine.begin() as connection:
        before = get_token(connection, token_id)
        after = revoke_token(connection, token_id, now)
        if after is not None:
            record_audit(
                connection,
                actor,
                "token.revoke",
                f"token:{token_id}",
                before.as_dict(),
                after.as_dict(),
                via=actor.via,
                at=now,
            )
    return after or before, after is not None
