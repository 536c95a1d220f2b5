"""`/v1/budgets`: read the budgets in force and their KPIs; Policy Stewards change them."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.api.kpi_cache import kpi_cache_key
from finance_pack.costs.queries import CostQueries
from finance_pack.services.budget_admin import (
    BudgetChange,
    ScopeChange,
    budgets_in_force,
    remove_budget,
    set_budget,
)
from finance_pack.services.reporting import (
    ReportSettings,
    chosen_budgets,
    cost_snapshot,
    kpi_reports,
    parse_month,
)
from finance_pack.store.budgets import budget_to_json, entry_json

router = APIRouter(prefix="/v1", tags=["budgets"])


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: list[str] = []
    accounts: list[str] = []
    services: list[str] = []
    regions: list[str] = []
    tags: dict[str, list[str]] = {}


class BudgetIn(BaseModel):
    """A budget as the API takes it; money as a decimal string, never a float.

    A field left out keeps the budget's current value (amount and currency are needed to
    create one); `scope` and `thresholds`, when given, replace the current ones.
    """

    model_config = ConfigDict(extra="forbid")
    amount: Annotated[
        str | None, Field(pattern=r"^-?\d+(\.\d+)?$", max_length=64, examples=["5000.00"])
    ] = None
    currency: Annotated[str | None, Field(min_length=3, max_length=3, examples=["USD"])] = None
    scope: ScopeIn | None = None
    thresholds: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, examples=[["80", "100:forecast"]]
    )

    def to_change(self, name: str) -> BudgetChange:
        scope = None
        if self.scope is not None:
            tags = [f"{k}={v}" for k, values in self.scope.tags.items() for v in values]
            scope = ScopeChange(
                self.scope.providers,
                self.scope.accounts,
                self.scope.services,
                self.scope.regions,
                tags,
            )
        return BudgetChange(name, self.amount, self.currency, scope, self.thresholds)


def _app_state(request: Request) -> Any:
    return request.app.state.finance


@router.get("/budgets", summary="Budgets in force, with their source")
def list_budgets(
    request: Request, _actor: Annotated[Actor, require("budgets:read")]
) -> list[dict[str, Any]]:
    state = _app_state(request)
    entries = budgets_in_force(state.engine, state.context.config)
    # A stored budget that is not valid is listed with its `error`; it never hides the rest.
    return [{**entry_json(e), "source": e.source.value} for e in entries]


@router.put("/budgets/{name}", summary="Create a budget or change the fields given (audited)")
def put_budget(
    request: Request, name: str, body: BudgetIn, actor: Annotated[Actor, require("budgets:write")]
) -> dict[str, Any]:
    state = _app_state(request)
    result = set_budget(
        state.engine, state.context.config, body.to_change(name), actor, state.clock.now()
    )
    return {
        **result.after,
        "created": result.created,
        "changed": list(result.changed),
        "warnings": list(result.warnings),
    }


@router.delete("/budgets/{name}", summary="Delete a managed budget (audited)")
def delete_budget(
    request: Request, name: str, actor: Annotated[Actor, require("budgets:write")]
) -> dict[str, Any]:
    state = _app_state(request)
    removed = remove_budget(state.engine, state.context.config, name, actor, state.clock.now())
    return {"deleted": name, "source": removed.source.value}


@router.get(
    "/kpis",
    summary="KPIs per budget: the same contract as `brctl finance kpi --format json`",
    description="Answers carry an `ETag` of the data snapshot and budget version: send it back "
    "in `If-None-Match` to get `304 Not Modified` until data or budgets change.",
    response_model=list[dict[str, object]],
    responses={304: {"description": "Not modified since the `ETag` in `If-None-Match`"}},
)
def kpis(
    request: Request,
    _actor: Annotated[Actor, require("kpis:read")],
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])] = None,
    budget: Annotated[list[str] | None, Query()] = None,
    forecaster: Annotated[str | None, Query(pattern="^(linear|seasonal)$")] = None,
) -> Response:
    state = _app_state(request)
    config = state.context.config
    # A budget that cannot be read or computed is a row with its `error`; the rest are there.
    chosen, broken = chosen_budgets(state.engine, config, budget)
    billing_month = parse_month(month, config.timezone)
    settings = ReportSettings.from_config(config, forecaster)
    now = state.clock.now()

    with cost_snapshot(state.context.cost_store_url, config.timezone) as view:
        snapshot_id = view.snapshot_id

        def compute() -> bytes:
            queries = CostQueries(view.store.backend)
            reports = kpi_reports(queries, chosen, settings, now=now, month=billing_month)
            rows = sorted([*reports, *broken], key=lambda r: r.budget)
            return json.dumps([r.to_json_dict() for r in rows]).encode()

        if snapshot_id is None:  # a backend without snapshots: nothing to key a cache on
            return Response(compute(), media_type="application/json")
        asked = {"month": month, "budget": budget, "forecaster": settings.forecaster}
        versions = [budget_to_json(b) for b in chosen] + [b.to_json_dict() for b in broken]
        etag = '"' + kpi_cache_key(snapshot_id, versions, asked, now.date()) + '"'
        if etag in _etags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=_validators(etag))
        # The same question on any snapshot: while the new snapshot's answer is computed,
        # others get the previous snapshot's answer (and its ETag) instead of waiting.
        question = kpi_cache_key("", versions, asked, now.date())
        etag, body = state.kpi_cache.get_or_compute(etag, compute, question=question)
    return Response(body, media_type="application/json", headers=_validators(etag))


def _validators(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": "private, no-cache"}


def _etags(header: str | None) -> set[str]:
    """The entity tags of an `If-None-Match` header (weak ones compare equal, RFC 9110)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
