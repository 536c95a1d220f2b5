"""`POST /v1/webhooks/stripe`: Stripe's events, authenticated by signature instead of a token.

A bad or expired signature is a 400 that changes nothing. A good one is applied once (events
are de-duplicated by id) and acknowledged with 200, also for invoices that are not ours, so that
Stripe stops retrying them. Two secrets are accepted while one is being rotated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from finance_pack.api.errors import problem_response
from finance_pack.providers.stripe import BadSignatureError, verify_event, webhook_secrets
from finance_pack.services.invoices import apply_stripe_event

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post(
    "/stripe",
    summary="Stripe webhook events (verified by Stripe-Signature)",
    responses={400: {"description": "Missing or bad signature, or not an event: nothing changed"}},
)
async def stripe_webhook(
    request: Request, stripe_signature: Annotated[str | None, Header()] = None
) -> Response:
    payload = await request.body()
    try:
        event = verify_event(payload, stripe_signature, webhook_secrets())
    except BadSignatureError as exc:
        return problem_response(400, str(exc), hint="check STRIPE_WEBHOOK_SECRET")
    state = request.app.state.finance
    outcome = await run_in_threadpool(apply_stripe_event, state.engine, event, state.clock.now())
    return JSONResponse({"received": True, "event": event["id"], "outcome": outcome})
