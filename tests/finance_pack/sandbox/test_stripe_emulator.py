"""The Stripe emulator, driven by the official `stripe` library as the Invoice Bot drives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from finance_pack.sandbox.stripe import sign
from finance_pack.sandbox.testing import RunningStripeEmulator, running_stripe_emulator

FIXTURES = json.loads((Path(__file__).parent / "stripe_reference" / "fixtures.json").read_text())


@pytest.fixture(scope="module")
def running() -> Iterator[RunningStripeEmulator]:
    with running_stripe_emulator() as emulator:
        yield emulator


@pytest.fixture
def client(running: RunningStripeEmulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        running.api_key, base_addresses={"api": running.url}, max_network_retries=0
    )


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _missing_keys(fixture: Any, actual: Any, path: str = "") -> list[str]:
    """Fixture keys absent from `actual`, or present with another JSON type (null is fine)."""
    problems: list[str] = []
    if not isinstance(fixture, dict):
        return problems
    for key, expected in fixture.items():
        where = f"{path}.{key}"
        if where == "event.data.object":
            continue  # the fixture's event carries a plan; ours carry invoices (checked above)
        if key not in actual:
            problems.append(f"{where} missing")
            continue
        value = actual[key]
        if value is None or expected is None:
            continue
        if _json_type(value) != _json_type(expected):
            problems.append(f"{where}: {_json_type(value)} instead of {_json_type(expected)}")
        elif isinstance(expected, dict):
            problems.extend(_missing_keys(expected, value, where))
    return problems


def _paid_invoice(client: stripe.StripeClient) -> dict[str, Any]:
    customer = client.v1.customers.create(params={"name": "Acme", "email": "ap@acme.test"})
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    )
    client.v1.invoice_items.create(
        params={"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "usd"}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    return client.v1.invoices.pay(invoice.id).to_dict()


def test_every_fixture_key_is_in_the_emulators_objects_with_its_json_type(
    client: stripe.StripeClient, running: RunningStripeEmulator
) -> None:
    paid = _paid_invoice(client)
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["invoice.paid"]}
    ).to_dict()

    def raw(path: str) -> Any:  # the JSON as served, before the library converts any field
        auth = {"Authorization": f"Bearer {running.api_key}"}
        return httpx.get(f"{running.url}{path}", headers=auth).json()

    invoice = raw(f"/v1/invoices/{paid['id']}")
    customer = raw(f"/v1/customers/{invoice['customer']}")
    item = raw(f"/v1/invoiceitems?invoice={invoice['id']}")["data"][0]
    event = raw("/v1/events?type=invoice.paid")["data"][0]
    actual = {
        "customer": customer,
        "invoice": invoice,
        "invoiceitem": item,
        "line_item": invoice["lines"]["data"][0],
        "webhook_endpoint": endpoint,
        "event": event,
    }
    problems = [p for kind, obj in actual.items() for p in _missing_keys(FIXTURES[kind], obj, kind)]
    assert problems == [], "\n".join(problems)


def test_same_idempotency_key_replays_and_other_parameters_are_an_idempotency_error(
    client: stripe.StripeClient, running: RunningStripeEmulator
) -> None:
    options: Any = {"idempotency_key": "key-replay-1"}
    first = client.v1.customers.create(params={"name": "Replay"}, options=options)
    again = client.v1.customers.create(params={"name": "Replay"}, options=options)
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"name": "Someone else"}, options=options)


def test_errors_are_stripe_error_objects_with_their_status(
    client: stripe.StripeClient, running: RunningStripeEmulator
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.retrieve("in_doesnotexist")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    customer = client.v1.customers.create(params={"name": "No due days"})
    with pytest.raises(stripe.InvalidRequestError) as invalid:
        client.v1.invoices.create(
            params={"customer": customer.id, "collection_method": "send_invoice"}
        )
    assert invalid.value.http_status == 400 and invalid.value.param == "days_until_due"
    bad_key = stripe.StripeClient("sk_test_wrong", base_addresses={"api": running.url})
    with pytest.raises(stripe.AuthenticationError):
        bad_key.v1.customers.list()


def test_lists_paginate_newest_first_and_search_finds_metadata(
    client: stripe.StripeClient,
) -> None:
    ids = [
        client.v1.customers.create(params={"name": f"P{i}", "metadata": {"batch": "pages"}}).id
        for i in range(5)
    ]
    found = client.v1.customers.search(params={"query": "metadata['batch']:'pages'"}).data
    assert {c.id for c in found} == set(ids)
    page = client.v1.customers.list(params={"limit": 2})
    assert page.has_more and len(page.data) == 2
    walked = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert walked[:5] == list(reversed(ids))


def test_send_needs_send_invoice_and_finalize_gives_hosted_page_and_a_real_pdf(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(params={"name": "Pdf Ltd"})
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(
        params={"customer": customer.id, "invoice": invoice.id, "amount": 99900, "currency": "usd"}
    )
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open" and finalized.number
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.send_invoice(invoice.id)
    pdf = httpx.get(str(finalized.invoice_pdf), timeout=60)  # fpdf loads on the first PDF
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    page = httpx.get(str(finalized.hosted_invoice_url), timeout=60)
    assert "USD 999.00" in page.text and "<button>Pay" in page.text
    paid = httpx.post(f"{finalized.hosted_invoice_url}/pay", follow_redirects=True, timeout=60)
    assert "status: <strong>paid</strong>" in paid.text
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_injected_faults_answer_429_and_500_for_the_named_operation(
    client: stripe.StripeClient, running: RunningStripeEmulator
) -> None:
    httpx.post(
        f"{running.url}/_emulator/faults",
        json={"status": 429, "operation": "customers.list", "count": 1},
    )
    httpx.post(
        f"{running.url}/_emulator/faults",
        json={"status": 500, "operation": "customers.list", "count": 1},
    )
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.list()
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    assert client.v1.customers.list().object == "list"


def test_an_injected_refusal_is_a_stripe_error_object_replayed_under_its_idempotency_key(
    client: stripe.StripeClient, running: RunningStripeEmulator
) -> None:
    refusal = {
        "operation": "customers.create",
        "status": 400,
        "message": "Invalid email address: x",
        "code": "email_invalid",
        "param": "email",
        "count": 1,
    }
    assert httpx.post(f"{running.url}/_emulator/faults", json=refusal).status_code == 200
    options = {"idempotency_key": "refused-once"}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.create(params={"email": "x"}, options=options)  # type: ignore[arg-type]
    assert (refused.value.http_status, refused.value.code) == (400, "email_invalid")
    assert refused.value.param == "email"  # type: ignore[attr-defined]
    assert refused.value.user_message == "Invalid email address: x"
    with pytest.raises(stripe.InvalidRequestError):  # the same key: Stripe's stored answer
        client.v1.customers.create(params={"email": "x"}, options=options)  # type: ignore[arg-type]
    assert client.v1.customers.create(params={"email": "x"}).object == "customer"


def test_signatures_verify_with_the_official_library() -> None:
    payload = b'{"id": "evt_1", "type": "invoice.sent"}'
    header = sign(payload, "whsec_test", 1_800_000_000)
    stripe.WebhookSignature.verify_header(payload.decode(), header, "whsec_test", tolerance=None)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload.decode(), header, "whsec_other", None)
