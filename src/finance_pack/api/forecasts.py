"""`/v1/forecast/backtest`: how well each forecaster did on past months (the same use case as
`brctl finance forecast backtest --format json`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.api.kpi_answers import Answer, KeysFor, snapshot_answer
from finance_pack.costs.snapshots import SnapshotView
from finance_pack.services.backtest import forecast_backtest

router = APIRouter(prefix="/v1", tags=["forecasts"])


@router.get("/forecast/backtest", summary="Replay past months and score each forecaster")
def backtest(
    request: Request,
    _actor: Annotated[Actor, require("kpis:read")],
    months: Annotated[int, Query(ge=1, le=36)] = 3,
    budget: Annotated[list[str] | None, Query()] = None,
) -> dict[str, object]:
    answer = backtest_answer(request.app.state.finance, months, budget)
    assert answer.value is not None  # no `If-None-Match` was passed
    return answer.value


def backtest_answer(
    state: Any,
    months: int,
    names: Sequence[str] | None,
    *,
    if_none_match: str | None = None,
    audience: str = "",
) -> Answer[dict[str, object]]:
    """The back-test replays months day by day (about a second per budget and three months):
    computed once per data snapshot and budget version (it does not depend on the clock), for
    the API and the page."""

    def compute(_view: SnapshotView, _keys_for: KeysFor) -> dict[str, object]:
        # It reads the snapshot current when it runs: at worst newer than its key, and then
        # the next request, seeing the newer snapshot, computes again.
        outcome = forecast_backtest(
            state.engine,
            state.context.config,
            state.context.cost_store_url,
            months=months,
            names=names,
        )
        return {
            "as_of": outcome.as_of.isoformat().replace("+00:00", "Z"),
            "results": [result.to_json_dict() for result in outcome.results],
        }

    asked = {"months": months, "budgets": sorted(names) if names else None}
    return snapshot_answer(
        state,
        "backtest",
        asked,
        compute,
        now=None,
        if_none_match=if_none_match,
        audience=audience,
    )
