"""Access routes: who am I, the audit log, token revocation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from finance_pack.access.actors import Actor
from finance_pack.access.audit import read_audit, revoke_token_audited
from finance_pack.api.auth import AccessState, authenticated, require
from finance_pack.api.params import IsoDateTime
from finance_pack.domain.instants import as_utc
from finance_pack.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["access"])


@router.get("/whoami", summary="The token's subject, roles and permissions")
def whoami(actor: Annotated[Actor, authenticated()]) -> dict[str, Any]:
    return {
        "subject": actor.subject,
        "roles": list(actor.roles),
        "permissions": sorted(actor.permissions),
        "token_id": actor.token_id,
    }


@router.get("/audit", summary="Audit records, oldest first")
def audit(
    request: Request,
    _actor: Annotated[Actor, require("audit:read")],
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601 time; UTC when naive")] = None,
    subject: Annotated[str | None, Query(description="actor or target")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    state: AccessState = request.app.state.access
    since = as_utc(since) if since is not None else None
    with state.engine.connect() as connection:
        records = read_audit(connection, since=since, subject=subject, limit=limit)
    return [r.as_dict() for r in records]


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke(
    request: Request, token_id: str, actor: Annotated[Actor, require("roles:write")]
) -> dict[str, Any]:
    state: AccessState = request.app.state.access
    try:
        current, changed = revoke_token_audited(state.engine, token_id, actor, state.clock.now())
    except NotFoundError as exc:
        raise HTTPException(404, detail=exc.message) from None
    return {
        "id": current.id,
        "subject": current.subject,
        "revoked": True,
        "changed": changed,
    }
