"""`/v1/invoices`: Growth Catalysts request invoices; readers follow them to delivery."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from finance_pack.access.actors import Actor
from finance_pack.api.auth import require
from finance_pack.services.invoices import (
    InvoiceRequest,
    invoice_detail,
    invoice_json,
    request_invoice,
)
from finance_pack.store.invoices import list_invoices

router = APIRouter(prefix="/v1", tags=["invoices"])


class InvoiceIn(BaseModel):
    """An invoice request; the amount is a decimal string in major units, never a float."""

    model_config = ConfigDict(extra="forbid")
    customer: Annotated[str, Field(min_length=1, max_length=64, examples=["acme"])]
    amount: Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["1250.00"])]
    currency: Annotated[str | None, Field(min_length=3, max_length=3, examples=["usd"])] = None
    description: Annotated[str | None, Field(max_length=500)] = None
    due_days: Annotated[int | None, Field(ge=0, le=365)] = None


@router.post(
    "/invoices",
    status_code=201,
    summary="Request an invoice (audited); Idempotency-Key makes retries safe",
)
def create_invoice(
    request: Request,
    response: Response,
    body: InvoiceIn,
    actor: Annotated[Actor, require("invoices:create")],
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> dict[str, Any]:
    state = request.app.state.finance
    record, created = request_invoice(
        state.engine,
        state.context.config,
        actor,
        InvoiceRequest(body.customer, body.amount, body.currency, body.description, body.due_days),
        idempotency_key=idempotency_key,
        now=request.app.state.finance.clock.now(),
    )
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return invoice_json(record)


@router.get("/invoices", summary="Invoices, newest first")
def get_invoices(
    request: Request,
    _actor: Annotated[Actor, require("invoices:read")],
    status: Annotated[str | None, Query(max_length=24)] = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    engine = request.app.state.finance.engine
    with engine.connect() as connection:
        records = list_invoices(connection, status=status, customer_id=customer, limit=limit)
    return [invoice_json(r) for r in records]


@router.get("/invoices/{invoice_id}", summary="One invoice with its state history")
def get_invoice(
    request: Request, invoice_id: str, _actor: Annotated[Actor, require("invoices:read")]
) -> dict[str, Any]:
    return invoice_detail(request.app.state.finance.engine, invoice_id)
