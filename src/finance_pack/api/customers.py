"""`/v1/customers`: the directory invoices are addressed to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.customers import add_customer, all_customers, customer_or_404

router = APIRouter(prefix="/v1", tags=["customers"])


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(min_length=1, max_length=64, examples=["acme"])]
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["Acme Corp"])]
    email: Annotated[str | None, Field(max_length=320)] = None
    slack_channel: Annotated[str | None, Field(max_length=80, examples=["#acme-billing"])] = None
    currency: Annotated[str, Field(min_length=3, max_length=3, examples=["USD"])] = "USD"


@router.post("/customers", status_code=201, summary="Add a customer (audited)")
def post_customer(
    request: Request, body: CustomerIn, actor: Annotated[Actor, require("invoices:create")]
) -> dict[str, Any]:
    record = add_customer(
        request.app.state.finance.engine,
        actor,
        customer_id=body.id,
        name=body.name,
        email=body.email,
        slack_channel=body.slack_channel,
        currency=body.currency,
        now=request.app.state.finance.clock.now(),
    )
    return record.to_json()


@router.get("/customers", summary="The customer directory")
def get_customers(
    request: Request, _actor: Annotated[Actor, require("invoices:read")]
) -> list[dict[str, Any]]:
    return [c.to_json() for c in all_customers(request.app.state.finance.engine)]


@router.get("/customers/{customer_id}", summary="One customer")
def get_customer(
    request: Request, customer_id: str, _actor: Annotated[Actor, require("invoices:read")]
) -> dict[str, Any]:
    return customer_or_404(request.app.state.finance.engine, customer_id).to_json()
