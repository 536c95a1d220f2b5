"""Dashboard sign-in: a short-lived, single-use link exchanged for a session cookie.

`brctl finance dashboard-link` issues an ordinary API token that lives ten minutes and prints a
URL carrying it. Opening the URL revokes that token and issues a session token (twelve hours) in
one transaction, so a link works once: a second use, a copied link after sign-in, an expired or a
tampered link all get the sign-in page with the reason. Only hashes are stored, as for every token.
The session travels in an HttpOnly, SameSite=Strict cookie, and the API accepts the cookie for
reads only (GET and HEAD), so a page cannot be tricked into changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit
from finance_pack.access.tokens import (
    InvalidTokenError,
    IssuedToken,
    issue_token,
    revoke_token,
    verify_token,
)

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class SigninLink:
    url: str
    subject: str
    expires_at: datetime


def issue_signin_link(
    engine: Engine, subject: str, actor: Actor, base_url: str, now: datetime
) -> SigninLink:
    """A single-use sign-in URL for `subject`, audited as a token issued by `actor`."""
    with engine.begin() as connection:
        issued = issue_token(connection, subject, actor.subject, now, LINK_LIFETIME)
        record_audit(
            connection,
            actor,
            "dashboard.link",
            f"token:{issued.record.id}",
            None,
            issued.record.as_dict(),
            via=actor.via,
            at=now,
        )
    query = urlencode({"token": issued.token})
    return SigninLink(f"{base_url.rstrip('/')}/signin?{query}", subject, issued.record.expires_at)


def exchange_signin(engine: Engine, presented: str, now: datetime) -> IssuedToken:
    """The session token for a valid, unused link; InvalidTokenError otherwise."""
    with engine.begin() as connection:
        record = verify_token(connection, presented, now)
        if record.expires_at - record.created_at > LINK_LIFETIME:
            # An API token is not a sign-in link: refuse it rather than revoke someone's token.
            raise InvalidTokenError("not a sign-in link (create one: brctl finance dashboard-link)")
        if revoke_token(connection, record.id, now) is None:
            raise InvalidTokenError("this sign-in link was already used")
        session = issue_token(connection, record.subject, record.subject, now, SESSION_LIFETIME)
        record_audit(
            connection,
            record.subject,
            "dashboard.signin",
            f"token:{session.record.id}",
            None,
            session.record.as_dict(),
            via="api",
            at=now,
        )
    return session
