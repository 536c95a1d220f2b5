"""`/v1/alerts`: Cost Watcher incidents; Policy Stewards acknowledge them and silence scopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.agents.cost_watcher.admin import (
    acknowledge_incident,
    incident_row,
    list_silences,
    parse_scope,
    silence_scope,
)
from finance_pack.api.auth import require
from finance_pack.store import alerts as store

router = APIRouter(prefix="/v1", tags=["alerts"])


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: dict[str, str] = Field(examples=[{"provider": "aws", "account": "111122223333"}])
    until: datetime = Field(description="ISO 8601; UTC when naive")
    reason: str = Field(default="", max_length=500)


@router.get("/alerts", summary="Cost Watcher incidents, newest first")
def list_alerts(
    request: Request,
    _actor: Annotated[Actor, require("alerts:read")],
    state: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    engine = request.app.state.finance.engine
    return [incident_row(s) for s in store.list_incidents(engine, state=state, limit=limit)]


@router.post("/alerts/{incident_id}/ack", summary="Acknowledge an incident (audited)")
def ack(
    request: Request, incident_id: int, actor: Annotated[Actor, require("alerts:write")]
) -> dict[str, Any]:
    engine = request.app.state.finance.engine
    return acknowledge_incident(engine, incident_id, actor, request.app.state.finance.clock.now())


@router.get("/alerts/silences", summary="Silences in force")
def silences(
    request: Request, _actor: Annotated[Actor, require("alerts:read")]
) -> list[dict[str, Any]]:
    engine = request.app.state.finance.engine
    return [s.as_dict() for s in list_silences(engine, request.app.state.finance.clock.now())]


@router.post("/alerts/silences", summary="Silence a scope until a time (audited)", status_code=201)
def silence(
    request: Request, body: SilenceIn, actor: Annotated[Actor, require("alerts:write")]
) -> dict[str, Any]:
    finance = request.app.state.finance
    extra = tuple(finance.context.config.watcher.dimensions)
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=UTC)
    scope = parse_scope(body.scope, extra)
    return silence_scope(
        finance.engine, scope, until, body.reason, actor, finance.clock.now()
    ).as_dict()
