"""`/v1/costs`: spend by service, account, region, provider or tag for a month, with the same
stretch of the month before; `format=csv` downloads the rows."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.cost_explorer import (
    COLUMNS,
    breakdown_json,
    breakdown_rows,
    explore_costs,
)

router = APIRouter(prefix="/v1", tags=["costs"])


class Period(BaseModel):
    start: str
    end: str


class CostRow(BaseModel):
    """Money as decimal strings in the currency's minor unit; `change_pct` null when the
    previous period had no spend."""

    key: str
    currency: str
    amount: str
    previous: str
    change: str
    change_pct: str | None


class CostTotal(BaseModel):
    currency: str
    amount: str
    previous: str


class CostsOut(BaseModel):
    group_by: str
    month: str
    period: Period
    previous_period: Period
    rows: list[CostRow]
    totals: list[CostTotal]


@router.get(
    "/costs",
    summary="Spend grouped by a dimension, against the same stretch of the month before",
    response_model=CostsOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def costs(
    request: Request,
    _actor: Annotated[Actor, require("costs:read")],
    group_by: Annotated[
        str, Query(pattern=r"^(service|account|region|provider|tag:[^\"\\]{1,128})$")
    ] = "service",
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    state = request.app.state.finance
    breakdown = explore_costs(state.context, group_by, month, state.clock.now())
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(breakdown_rows(breakdown))
        filename = f"costs-{breakdown.month}-{group_by.replace(':', '-')}.csv"
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return breakdown_json(breakdown)
