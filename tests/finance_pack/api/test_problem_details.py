"""Every error answer is RFC 9457 problem details, and the OpenAPI document says so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from finance_pack_api_support import CATALYST, STEWARD, Api

PROBLEM = "application/problem+json"


def _as(api: Api, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(subject)}"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert body["hint"]  # every problem says what to do about it
    return body


def test_missing_token_is_a_401_problem_with_the_bearer_challenge(api: Api) -> None:
    response = api.client.get("/v1/budgets")
    body = _problem(response, 401)
    assert body["title"] == "Unauthorized" and body["detail"] == "missing bearer token"
    assert response.headers["www-authenticate"] == "Bearer"


def test_missing_permission_is_a_403_problem_naming_it(api: Api) -> None:
    body = _problem(api.client.get("/v1/audit", headers=_as(api, CATALYST)), 403)
    assert body["detail"].startswith("missing permission audit:read")


def test_unknown_token_id_is_a_404_problem(api: Api) -> None:
    response = api.client.delete("/v1/tokens/nope", headers=_as(api, STEWARD))
    assert "nope" in _problem(response, 404)["detail"]


def test_invalid_body_is_a_422_problem_keeping_the_field_path(api: Api) -> None:
    body = {"amount": 12.5, "currency": "USD"}
    response = api.client.put("/v1/budgets/x", json=body, headers=_as(api, STEWARD))
    problem = _problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["body.amount"]
    # RFC 9110's title on every Python (3.11 alone would say "Unprocessable Entity").
    assert problem["title"] == "Unprocessable Content"


def test_a_typed_error_from_the_domain_is_a_422_problem_with_its_hint(api: Api) -> None:
    body = {"amount": "0", "currency": "USD"}
    response = api.client.put("/v1/budgets/x", json=body, headers=_as(api, STEWARD))
    assert "must be positive" in _problem(response, 422)["detail"]


@pytest.mark.parametrize("since", ["0.5", "1700000000", "-3", "1e9"])
def test_audit_since_refuses_a_number_instead_of_reading_epoch_seconds(
    api: Api, since: str
) -> None:
    response = api.client.get("/v1/audit", params={"since": since}, headers=_as(api, STEWARD))
    problem = _problem(response, 422)
    assert problem["errors"][0]["field"] == "query.since"
    assert "ISO 8601" in problem["errors"][0]["message"]


def test_audit_since_takes_an_iso_time(api: Api) -> None:
    params = {"since": "2026-11-01T00:00:00Z"}
    response = api.client.get("/v1/audit", params=params, headers=_as(api, STEWARD))
    assert response.status_code == 200


def test_a_wrong_method_lists_every_method_the_path_serves(api: Api) -> None:
    response = api.client.post("/v1/budgets/x", headers=_as(api, STEWARD))
    _problem(response, 405)
    assert response.headers["allow"] == "DELETE, PUT"


def test_an_unexpected_error_is_a_500_problem_and_is_counted(api: Api) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    api.app.add_api_route("/boom", explode)
    client = TestClient(api.app, raise_server_exceptions=False)
    response = client.get("/boom")
    body = _problem(response, 500)
    assert "secret" not in response.text and body["hint"]
    metrics = client.get("/metrics").text
    assert 'finance_http_requests_total{method="GET",route="/boom",status="500"} 1.0' in metrics


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_openapi_declares_each_error_status_with_the_problem_schema(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    declared = {
        (method.upper(), path): sorted(int(c) for c in op["responses"] if c[0] in "45")
        for path, method, op in _operations(schema)
    }
    assert declared == {
        ("GET", "/healthz"): [],
        ("GET", "/readyz"): [503],
        ("GET", "/v1/whoami"): [401, 403, 503],
        ("GET", "/v1/audit"): [401, 403, 404, 422, 503],
        ("DELETE", "/v1/tokens/{token_id}"): [401, 403, 404, 422, 503],
        ("GET", "/v1/budgets"): [401, 403, 503],
        ("PUT", "/v1/budgets/{name}"): [400, 401, 403, 404, 409, 413, 422, 503],
        ("DELETE", "/v1/budgets/{name}"): [401, 403, 404, 422, 503],
        ("GET", "/v1/kpis"): [401, 403, 404, 422, 503],
        ("GET", "/v1/slo"): [401, 403, 503],
        # Routers other engineers added: declared without doing anything.
        ("GET", "/v1/costs"): [401, 403, 404, 422, 503],
        ("GET", "/v1/forecast/backtest"): [401, 403, 404, 422, 503],
        ("POST", "/v1/costs/stream"): [400, 401, 403, 413, 422, 503],
        ("GET", "/v1/alerts"): [401, 403, 404, 422, 503],
        ("POST", "/v1/alerts/{incident_id}/ack"): [401, 403, 404, 422, 503],
        ("GET", "/v1/alerts/silences"): [401, 403, 503],
        ("POST", "/v1/alerts/silences"): [400, 401, 403, 409, 413, 422, 503],
        ("POST", "/v1/invoices"): [400, 401, 403, 404, 409, 413, 422, 503],
        ("GET", "/v1/invoices"): [401, 403, 404, 422, 503],
        ("GET", "/v1/invoices/{invoice_id}"): [401, 403, 404, 422, 503],
        ("GET", "/v1/customers"): [401, 403, 503],
        ("POST", "/v1/customers"): [400, 401, 403, 409, 413, 422, 503],
        ("GET", "/v1/customers/{customer_id}"): [401, 403, 404, 422, 503],
        # Signed by Stripe, no token: a bad signature is a 400.
        ("POST", "/v1/webhooks/stripe"): [400, 404, 422],
    }
    for path, _method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if code[0] in "45" and path != "/readyz":
                content = response["content"]
                assert content == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "hint"}
    assert {"hint", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_openapi_puts_every_protected_operation_under_the_bearer_scheme(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, _method, operation in _operations(schema):
        public = path in ("/healthz", "/readyz") or path.startswith("/v1/webhooks/")
        expected = [] if public else [{"HTTPBearer": []}]
        assert operation.get("security", []) == expected, path


def test_a_bad_month_is_named_once(api: Api) -> None:
    response = api.client.get("/v1/kpis?month=2026-13", headers=_as(api, CATALYST))
    assert _problem(response, 422)["detail"] == "month '2026-13': months run from 01 to 12"


def test_the_body_limit_answers_a_problem_whether_the_length_is_declared_or_not(api: Api) -> None:
    big = b'{"amount": "1", "currency": "USD", "scope": {"services": ["' + b"s" * 300_000 + b'"]}}'
    headers = {**_as(api, STEWARD), "Content-Type": "application/json"}
    assert len(big) == 300_063
    declared = api.client.put("/v1/budgets/big", content=big, headers=headers)
    assert _problem(declared, 413) == {
        "type": "https://blackroad.dev/problems/too-large",
        "title": "Content Too Large",
        "status": 413,
        "detail": "the request body is 300063 bytes, over the limit of 262144 bytes",
        "hint": "send at most 262144 bytes (api.max_body_bytes in finance.yaml)",
    }
    chunked = api.client.put(
        "/v1/budgets/big", content=iter([big[:200_000], big[200_000:]]), headers=headers
    )
    body = _problem(chunked, 413)
    assert body["title"] == "Content Too Large"
    assert (
        body["detail"]
        == "the request body is at least 300063 bytes, over the limit of 262144 bytes"
    )
    assert body["hint"] == "send at most 262144 bytes (api.max_body_bytes in finance.yaml)"
    metrics = api.client.get("/metrics").text
    assert 'route="/v1/budgets/{name}",status="413"} 1.0' in metrics


def test_an_unknown_path_is_a_404_problem_naming_it(api: Api) -> None:
    body = _problem(api.client.get("/v1/nope", headers=_as(api, STEWARD)), 404)
    assert body["detail"] == "GET /v1/nope is not served"


def test_a_body_that_is_not_json_is_a_400_problem(api: Api) -> None:
    headers = {**_as(api, STEWARD), "Content-Type": "application/json"}
    response = api.client.put("/v1/budgets/x", content=b"{not json", headers=headers)
    assert _problem(response, 400)["detail"].startswith("the body is not valid JSON")


def test_readyz_documents_the_body_it_sends_when_not_ready(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    content = schema["paths"]["/readyz"]["get"]["responses"]["503"]["content"]
    assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
