"""`POST /v1/costs/stream`: spend points pushed in, a JSON array or NDJSON (one per line).

Each point: `{"dimensions": {"provider": "aws", "account": "...", "service": "..."},
"start": "2026-11-02T10:00:00Z", "end": "2026-11-02T11:00:00Z", "cost": "12.34",
"currency": "USD"}`. The batch is checked whole before anything is written: a bad point is a
422 naming it (`[3].cost`), malformed JSON a 400 naming the line and column, a batch over
`watcher.max_batch_points` a 413. Accepted points are stamped with their ingestion time.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.status import HTTP_202_ACCEPTED

from finance_pack.access.actors import Actor
from finance_pack.agents.cost_watcher.factory import build_watcher
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.api.auth import require
from finance_pack.domain.anomaly.points import PointError, parse_points
from finance_pack.errors import UsageError, ValidationError

router = APIRouter(prefix="/v1", tags=["costs"])
BYTES_PER_POINT = 2048  # a generous upper bound for one point's JSON


class BatchTooLargeError(UsageError):
    """More points (or bytes) than one batch may carry."""

    http_status = 413


class MalformedBodyError(ValidationError):
    http_status = 400


# One decoder for every line: `json.loads(..., parse_float=...)` builds a new one per call,
# which showed in the profile of an NDJSON batch of 500 lines.
_DECODER = json.JSONDecoder(parse_float=Decimal)


def _json(text: str, line_offset: int = 0) -> Any:
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise MalformedBodyError(
            f"malformed JSON: {exc.msg}",
            location=f"line {exc.lineno + line_offset}, column {exc.colno}",
        ) from None


def parse_body(body: bytes, content_type: str, max_points: int) -> list[Any]:
    if len(body) > max_points * BYTES_PER_POINT:
        raise BatchTooLargeError(f"body of {len(body)} bytes is over this batch limit")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBodyError("body is not UTF-8", location=f"byte {exc.start}") from None
    if "ndjson" in content_type or "jsonlines" in content_type:
        items = [_json(line, n) for n, line in enumerate(text.splitlines()) if line.strip()]
    else:
        items = _json(text)
        if not isinstance(items, list):
            raise MalformedBodyError("expected a JSON array of points (or NDJSON)", location="body")
    if len(items) > max_points:
        raise BatchTooLargeError(
            f"{len(items)} points in one batch; the limit is {max_points}",
            hint="split the batch or raise watcher.max_batch_points in finance.yaml",
        )
    return items


def watcher_of(request: Request) -> CostWatcher:
    """One watcher per app: its cache of baselines must not be split between instances."""
    state = request.app.state
    if getattr(state, "cost_watcher", None) is None:
        finance = state.finance
        state.cost_watcher = build_watcher(finance.context, finance.engine)
    watcher: CostWatcher = state.cost_watcher
    return watcher


@router.post(
    "/costs/stream",
    summary="Push spend points to the Cost Watcher (JSON array or NDJSON)",
    status_code=HTTP_202_ACCEPTED,
    # The body is read raw (JSON or NDJSON), so FastAPI cannot see these from a model.
    responses={
        400: {"description": "Malformed JSON or NDJSON (the line and column are named)"},
        413: {"description": "More points than the batch limit"},
        422: {"description": "A point is invalid (its index and field are named)"},
    },
)
async def stream(
    request: Request, _actor: Annotated[Actor, require("costs:write")]
) -> dict[str, object]:
    watcher = watcher_of(request)
    settings = watcher.settings
    body = await request.body()
    items = parse_body(body, request.headers.get("content-type", ""), settings.max_batch)
    now = request.app.state.finance.clock.now()
    try:
        points = parse_points(items, settings.extra_dimensions)
        result = await run_in_threadpool(watcher.ingest, points, now)
    except PointError as exc:
        raise ValidationError(exc.message, location=exc.location) from None
    return {"ingested_at": now.isoformat(), **result.as_dict()}
