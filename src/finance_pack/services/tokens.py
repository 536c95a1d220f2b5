"""API tokens as use cases: issued, listed and revoked the same way from every shell."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit, revoke_token_audited
from finance_pack.access.tokens import IssuedToken, TokenRecord, issue_token, list_tokens

__all__ = ["create_token", "revoke_token_audited", "token_list"]


def create_token(
    engine: Engine, subject: str, actor: Actor, lifetime: timedelta, now: datetime
) -> IssuedToken:
    """Issue a token for `subject` and audit it, in one transaction; only its hash is kept."""
    with engine.begin() as connection:
        issued = issue_token(connection, subject, actor.subject, now, lifetime)
        record_audit(
            connection,
            actor,
            "token.create",
            f"token:{issued.record.id}",
            None,
            issued.record.as_dict(),
            via=actor.via,
            at=now,
        )
    return issued


def token_list(engine: Engine, subject: str | None) -> list[TokenRecord]:
    with engine.connect() as connection:
        return list_tokens(connection, subject)
