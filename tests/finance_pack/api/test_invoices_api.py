"""`/v1/invoices` and `/v1/customers`: permissions, validation, idempotency keys, audit."""

from __future__ import annotations

from typing import Any

import pytest
from finance_pack_api_support import CATALYST, STEWARD, Api

from finance_pack.access.audit import read_audit


def _headers(api: Api, subject: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api.token(subject)}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


@pytest.fixture
def catalyst(api: Api) -> dict[str, str]:
    headers = _headers(api, CATALYST)
    answer = api.client.post(
        "/v1/customers",
        json={"id": "acme", "name": "Acme Corp", "slack_channel": "#acme", "currency": "USD"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return headers


def _request(api: Api, headers: dict[str, str], **body: Any) -> Any:
    return api.client.post("/v1/invoices", json={"customer": "acme", **body}, headers=headers)


def test_a_catalyst_requests_an_invoice_and_it_is_audited(
    api: Api, catalyst: dict[str, str]
) -> None:
    answer = _request(api, catalyst, amount="1250.00", currency="usd")
    assert answer.status_code == 201
    body = answer.json()
    assert (body["amount_minor"], body["currency"], body["status"]) == (125000, "USD", "requested")
    with api.engine.connect() as connection:
        actions = [(r.actor, r.action) for r in read_audit(connection)]
    assert (CATALYST, "invoices.request") in actions and (CATALYST, "customers.add") in actions
    listed = api.client.get("/v1/invoices", headers=catalyst).json()
    assert [i["id"] for i in listed] == [body["id"]]
    shown = api.client.get(f"/v1/invoices/{body['id']}", headers=catalyst).json()
    assert shown["history"][0]["to"] == "requested"


def test_a_steward_may_read_but_not_request_invoices(api: Api, catalyst: dict[str, str]) -> None:
    steward = _headers(api, STEWARD)
    refused = _request(api, steward, amount="10.00")
    assert refused.status_code == 403 and "invoices:create" in refused.json()["detail"]
    assert api.client.get("/v1/invoices", headers=steward).status_code == 200


def test_same_key_and_body_returns_the_same_invoice_and_another_body_is_409(
    api: Api, catalyst: dict[str, str]
) -> None:
    keyed = {**catalyst, "Idempotency-Key": "order-42"}
    first = _request(api, keyed, amount="99.00")
    again = _request(api, keyed, amount="99.00")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    conflict = _request(api, keyed, amount="98.00")
    assert conflict.status_code == 409
    unkeyed = [_request(api, catalyst, amount="99.00").json()["id"] for _ in range(2)]
    assert len(set(unkeyed)) == 2
    assert len(api.client.get("/v1/invoices", headers=catalyst).json()) == 3


@pytest.mark.parametrize(
    ("amount", "currency", "why"),
    [
        ("-5.00", "usd", "greater than zero"),
        ("0", "usd", "greater than zero"),
        ("100000.01", "usd", "maximum"),
        ("10.001", "usd", "refusing to round"),
        ("1000.5", "jpy", "no decimals"),
        ("12.345", "kwd", "end in 0"),
        ("10.00", "xyz", "not a currency"),
        ("1e3", "usd", "amount"),
    ],
)
def test_bad_amounts_and_currencies_are_422_and_write_nothing(
    api: Api, catalyst: dict[str, str], amount: str, currency: str, why: str
) -> None:
    answer = _request(api, catalyst, amount=amount, currency=currency)
    assert answer.status_code == 422
    assert why in str(answer.json()["detail"])
    assert api.client.get("/v1/invoices", headers=catalyst).json() == []


def test_zero_and_three_decimal_currencies_are_billed_in_their_minor_units(
    api: Api, catalyst: dict[str, str]
) -> None:
    jpy = _request(api, catalyst, amount="15000", currency="jpy").json()
    kwd = _request(api, catalyst, amount="12.340", currency="kwd").json()
    assert (jpy["amount_minor"], kwd["amount_minor"]) == (15000, 12340)


def test_an_unknown_customer_is_404(api: Api, catalyst: dict[str, str]) -> None:
    answer = api.client.post(
        "/v1/invoices", json={"customer": "nobody", "amount": "1.00"}, headers=catalyst
    )
    assert answer.status_code == 404
