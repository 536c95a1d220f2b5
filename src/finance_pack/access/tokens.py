"""API tokens: `brf_<id>_<secret>`, random, shown once; the store keeps only a SHA-256.

The id is visible (lists, audit records, revocation); the secret is 32 random bytes, so a plain
SHA-256 is enough (no password stretching needed) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from finance_pack.errors import NotFoundError, UsageError
from finance_pack.store.tables import api_tokens

TOKEN_PREFIX = "brf_"
MAX_LIFETIME = timedelta(days=366)


class InvalidTokenError(Exception):
    """A presented token is not (or no longer) valid; the message is safe to return."""


@dataclass(frozen=True)
class TokenRecord:
    id: str
    subject: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    def as_dict(self) -> dict[str, object]:
        return {
            k: v.isoformat(timespec="seconds") if isinstance(v, datetime) else v
            for k, v in asdict(self).items()
        }


@dataclass(frozen=True)
class IssuedToken:
    record: TokenRecord
    token: str = field(repr=False)  # never in reprs, logs or tracebacks


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _record(row: object) -> TokenRecord:
    mapping = row._mapping  # type: ignore[attr-defined]
    revoked = mapping["revoked_at"]
    return TokenRecord(
        id=mapping["id"],
        subject=mapping["subject"],
        created_at=mapping["created_at"],
        created_by=mapping["created_by"],
        expires_at=mapping["expires_at"],
        revoked_at=revoked,
    )


def issue_token(
    connection: Connection, subject: str, created_by: str, now: datetime, lifetime: timedelta
) -> IssuedToken:
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise UsageError(f"a token lives between 1 minute and {MAX_LIFETIME.days} days")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    record = TokenRecord(token_id, subject, now, created_by, now + lifetime, None)
    connection.execute(
        api_tokens.insert().values(
            id=token_id,
            subject=subject,
            secret_sha256=_digest(secret),
            created_at=now,
            created_by=created_by,
            expires_at=record.expires_at,
            revoked_at=None,
        )
    )
    return IssuedToken(record, f"{TOKEN_PREFIX}{token_id}_{secret}")


def verify_token(connection: Connection, presented: str, now: datetime) -> TokenRecord:
    """The token's record when it is genuine, unexpired and unrevoked; else InvalidTokenError.

    Why a token is expired or revoked is only said once its secret has matched.
    """
    prefix, token_id, secret = [*presented.split("_", 2), "", ""][:3]
    if f"{prefix}_" != TOKEN_PREFIX or not token_id or not secret:
        raise InvalidTokenError("malformed token")
    row = connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    expected = row._mapping["secret_sha256"] if row is not None else _digest("")
    if not hmac.compare_digest(_digest(secret), expected) or row is None:
        raise InvalidTokenError("invalid token")
    record = _record(row)
    if record.revoked_at is not None:
        raise InvalidTokenError(f"token {record.id} was revoked")
    if now >= record.expires_at:
        raise InvalidTokenError(f"token {record.id} expired at {record.expires_at.isoformat()}")
    return record


def get_token(connection: Connection, token_id: str) -> TokenRecord:
    row = connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFoundError(f"no token with id {token_id!r}", hint="see: brctl finance token list")
    return _record(row)


def revoke_token(connection: Connection, token_id: str, now: datetime) -> TokenRecord | None:
    """The revoked record, or None when it was already revoked."""
    record = get_token(connection, token_id)
    if record.revoked_at is not None:
        return None
    connection.execute(
        api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=now)
    )
    return TokenRecord(**{**asdict(record), "revoked_at": now})


def list_tokens(connection: Connection, subject: str | None = None) -> list[TokenRecord]:
    query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
    if subject is not None:
        query = query.where(api_tokens.c.subject == subject)
    return [_record(row) for row in connection.execute(query)]
