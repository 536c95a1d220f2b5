"""`/v1/budgets`: read the budgets in force and their KPIs; Policy Stewards change them."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.api.kpi_answers import BudgetReport, KpiQuestion, kpi_answer
from finance_pack.api.kpi_cache import validators
from finance_pack.services.budget_admin import (
    BudgetChange,
    ScopeChange,
    budgets_in_force,
    remove_budget,
    set_budget,
)
from finance_pack.store.budgets import entry_json

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
    # A budget that cannot be read or computed is a row with its `error`; the rest are there.
    question = KpiQuestion(month, tuple(budget) if budget else None, forecaster)
    answer = kpi_answer(
        state,
        "kpis.json",
        question,
        _kpis_json,
        now=state.clock.now(),
        if_none_match=request.headers.get("if-none-match"),
    )
    if answer.etag is None:
        return Response(answer.value, media_type="application/json")
    if answer.value is None:
        return Response(status_code=304, headers=validators(answer.etag))
    return Response(answer.value, media_type="application/json", headers=validators(answer.etag))


def _kpis_json(report: BudgetReport) -> bytes:
    """Serialised once per answer: a cached read sends these bytes as they are."""
    return json.dumps([row.to_json_dict() for row in report.rows()]).encode()
