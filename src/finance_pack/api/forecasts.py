"""`/v1/forecast/backtest`: how well each forecaster did on past months (the same use case as
`brctl finance forecast backtest --format json`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.backtest import forecast_backtest

router = APIRouter(prefix="/v1", tags=["forecasts"])


@router.get("/forecast/backtest", summary="Replay past months and score each forecaster")
def backtest(
    request: Request,
    _actor: Annotated[Actor, require("kpis:read")],
    months: Annotated[int, Query(ge=1, le=36)] = 3,
    budget: Annotated[list[str] | None, Query()] = None,
) -> dict[str, object]:
    state = request.app.state.finance
    outcome = forecast_backtest(
        state.engine,
        state.context.config,
        state.context.cost_store_url,
        months=months,
        names=budget,
    )
    return {
        "as_of": outcome.as_of.isoformat().replace("+00:00", "Z"),
        "results": [result.to_json_dict() for result in outcome.results],
    }
