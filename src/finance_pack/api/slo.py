"""`/v1/slo`: the three SLOs, as `brctl finance slo --format json` reports them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.slos import slo_reports

router = APIRouter(prefix="/v1", tags=["slo"])


@router.get("/slo", summary="Attainment, error budget left and latency per SLO")
def slo(request: Request, _actor: Annotated[Actor, require("slo:read")]) -> list[dict[str, object]]:
    state = request.app.state.finance
    return [r.to_json_dict() for r in slo_reports(state.context, state.engine, state.clock.now())]
