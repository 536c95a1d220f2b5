"""`POST /v1/webhooks/stripe`: verified, de-duplicated, order-independent, changes nothing
when the signature is bad or expired."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from finance_pack_api_support import Api

from finance_pack.access.actors import Actor
from finance_pack.sandbox.stripe import sign
from finance_pack.services.customers import add_customer
from finance_pack.services.invoices import InvoiceRequest, request_invoice
from finance_pack.store.invoices import change_invoice, get_invoice
from finance_pack.store.tables import stripe_events

SECRET, OLD_SECRET = "whsec_current", "whsec_previous"
ACTOR = Actor("user:gina@example.com", (), frozenset({"invoices:create"}), "test", "cli")


@pytest.fixture
def invoice_id(api: Api, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_PREVIOUS", OLD_SECRET)
    now = datetime.now(UTC)
    add_customer(
        api.engine,
        ACTOR,
        customer_id="acme",
        name="Acme",
        email=None,
        slack_channel=None,
        currency="USD",
        now=now,
    )
    record, _ = request_invoice(
        api.engine,
        api.context.config,
        ACTOR,
        InvoiceRequest("acme", "10.00", "usd", None, 30),
        idempotency_key=None,
        now=now,
    )
    with api.engine.begin() as connection:
        change_invoice(
            connection,
            record,
            {"stage": "sent", "stripe_invoice_id": "in_test1"},
            now=now,
        )
    return record.id


def _event(event_id: str, event_type: str, stripe_id: str = "in_test1") -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": {"id": stripe_id, "object": "invoice", "metadata": {}}},
    }
    return json.dumps(body).encode()


def _post(api: Api, payload: bytes, secret: str = SECRET, at: int | None = None) -> Any:
    header = sign(payload, secret, at if at is not None else int(time.time()))
    return api.client.post(
        "/v1/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def _invoice(api: Api, invoice_id: str) -> Any:
    with api.engine.connect() as connection:
        return get_invoice(connection, invoice_id)


def _events_stored(api: Api) -> int:
    with api.engine.connect() as connection:
        return len(connection.execute(stripe_events.select()).all())


def test_paid_before_sent_and_a_posted_invoice_both_settle(api: Api, invoice_id: str) -> None:
    assert _post(api, _event("evt_paid", "invoice.paid")).json()["outcome"] == "applied"
    assert _invoice(api, invoice_id).status == "paid"
    assert _post(api, _event("evt_sent", "invoice.sent")).status_code == 200
    record = _invoice(api, invoice_id)
    assert record.sent_confirmed_at is not None and record.paid_at is not None
    assert record.stage == "sent" and record.status == "paid"


def test_a_replayed_event_is_acknowledged_and_applied_once(api: Api, invoice_id: str) -> None:
    payload = _event("evt_dup", "invoice.payment_failed")
    assert _post(api, payload).json()["outcome"] == "applied"
    first = _invoice(api, invoice_id).payment_failed_at
    replay = _post(api, payload)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert _invoice(api, invoice_id).payment_failed_at == first
    assert _events_stored(api) == 1


@pytest.mark.parametrize(
    ("secret", "age_seconds"),
    [("whsec_wrong", 0), (SECRET, 301), (SECRET, -400)],
    ids=["wrong-secret", "older-than-300s", "from-the-future"],
)
def test_bad_or_expired_signatures_are_400_and_change_nothing(
    api: Api, invoice_id: str, secret: str, age_seconds: int
) -> None:
    payload = _event("evt_bad", "invoice.voided")
    answer = _post(api, payload, secret=secret, at=int(time.time()) - age_seconds)
    assert answer.status_code == 400
    assert _invoice(api, invoice_id).voided_at is None and _events_stored(api) == 0


def test_a_missing_signature_or_a_tampered_body_is_400(api: Api, invoice_id: str) -> None:
    payload = _event("evt_t", "invoice.voided")
    assert api.client.post("/v1/webhooks/stripe", content=payload).status_code == 400
    header = sign(payload, SECRET, int(time.time()))
    tampered = payload.replace(b"evt_t", b"evt_x")
    answer = api.client.post(
        "/v1/webhooks/stripe", content=tampered, headers={"Stripe-Signature": header}
    )
    assert answer.status_code == 400 and _events_stored(api) == 0


def test_the_previous_secret_is_accepted_during_rotation(api: Api, invoice_id: str) -> None:
    assert _post(api, _event("evt_old", "invoice.voided"), secret=OLD_SECRET).status_code == 200
    assert _invoice(api, invoice_id).status == "void"


def test_unknown_invoices_are_acknowledged_and_recorded_but_change_nothing(
    api: Api, invoice_id: str
) -> None:
    answer = _post(api, _event("evt_other", "invoice.paid", stripe_id="in_not_ours"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "unknown_invoice"
    assert _invoice(api, invoice_id).paid_at is None


def test_the_webhook_route_needs_no_token(api: Api, invoice_id: str) -> None:
    assert _post(api, _event("evt_open", "invoice.finalized")).status_code == 200
