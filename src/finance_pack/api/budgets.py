"""`/v1/budgets`: read the budgets in force and their KPIs; Policy Stewards change them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.budget_admin import (
    budgets_in_force,
    build_budget,
    remove_budget,
    set_budget,
)
from finance_pack.services.reporting import budget_kpis
from finance_pack.store.budgets import budget_to_json

router = APIRouter(prefix="/v1", tags=["budgets"])


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: list[str] = []
    accounts: list[str] = []
    services: list[str] = []
    regions: list[str] = []
    tags: dict[str, list[str]] = {}


class BudgetIn(BaseModel):
    """A budget as the API takes it; money as a decimal string, never a float."""

    model_config = ConfigDict(extra="forbid")
    amount: Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["5000.00"])]
    currency: Annotated[str, Field(min_length=3, max_length=3, examples=["USD"])]
    scope: ScopeIn = ScopeIn()
    thresholds: list[str] = Field(default=[], examples=[["80", "100:forecast"]])


def _app_state(request: Request) -> Any:
    return request.app.state.finance


@router.get("/budgets", summary="Budgets in force, with their source")
def list_budgets(
    request: Request, _actor: Annotated[Actor, require("budgets:read")]
) -> list[dict[str, Any]]:
    state = _app_state(request)
    entries = budgets_in_force(state.engine, state.context.config)
    return [{**budget_to_json(e.budget), "source": e.source.value} for e in entries]


@router.put("/budgets/{name}", summary="Create or replace a budget (audited)")
def put_budget(
    request: Request, name: str, body: BudgetIn, actor: Annotated[Actor, require("budgets:write")]
) -> dict[str, Any]:
    state = _app_state(request)
    tags = [f"{k}={v}" for k, values in body.scope.tags.items() for v in values]
    budget = build_budget(
        name,
        body.amount,
        body.currency,
        providers=body.scope.providers,
        accounts=body.scope.accounts,
        services=body.scope.services,
        regions=body.scope.regions,
        tags=tags,
        thresholds=body.thresholds,
    )
    _before, after = set_budget(
        state.engine, state.context.config, budget, actor, state.clock.now()
    )
    return after


@router.delete("/budgets/{name}", summary="Delete a managed budget (audited)")
def delete_budget(
    request: Request, name: str, actor: Annotated[Actor, require("budgets:write")]
) -> dict[str, Any]:
    state = _app_state(request)
    removed = remove_budget(state.engine, state.context.config, name, actor, state.clock.now())
    return {"deleted": name, "source": removed.source.value}


@router.get(
    "/kpis", summary="KPIs per budget: the same contract as `brctl finance kpi --format json`"
)
def kpis(
    request: Request,
    _actor: Annotated[Actor, require("kpis:read")],
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])] = None,
    budget: Annotated[list[str] | None, Query()] = None,
    forecaster: Annotated[str | None, Query(pattern="^(linear|seasonal)$")] = None,
) -> list[dict[str, object]]:
    state = _app_state(request)
    reports = budget_kpis(
        state.engine,
        state.context.config,
        state.context.cost_store_url,
        now=state.clock.now(),
        names=budget,
        month=month,
        forecaster=forecaster,
    )
    return [r.to_json_dict() for r in reports]
