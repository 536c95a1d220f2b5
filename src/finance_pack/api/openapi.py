"""The OpenAPI document says every status an operation can answer, with the problem schema.

Derived from each route as served, so routers added later get it without doing anything:

- a route that declares a permission (`require`, `authenticated`) can answer 401 (no valid
  token), 403 (permission missing) and 503 (role bindings unreadable), and carries the bearer
  security scheme;
- a route with parameters can answer 404 (something it names does not exist: a path's token
  id, a query's budget) and 422; one with a body, 422 too;
- a route that takes a body can answer 400 (not JSON), 409 (a conflicting change) and 413
  (over `MAX_BODY_BYTES`).

Statuses a route declares itself (`responses={409: {"description": ...}}`) keep their
description and get the same schema; one declared with a model of its own (/readyz's 503 says
why the process is not ready, in the same shape as its 200) keeps that model. FastAPI's
list-shaped validation error is replaced, since our 422 is problem details too (`errors` keeps
each field's path).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from finance_pack.api.auth import RouteInfo, route_table
from finance_pack.api.errors import PROBLEM_MEDIA_TYPE, Problem

PROBLEM_REF = "#/components/schemas/Problem"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_WHY = {
    400: "The body is not valid JSON.",
    401: "No valid bearer token (missing, malformed, expired or revoked).",
    403: "The token's subject lacks the permission this operation needs.",
    404: "The named resource does not exist.",
    409: "The change conflicts with the resource's current state.",
    413: "The request body is too large.",
    422: "Invalid input: `errors` names each field and what is wrong with it.",
    503: "A dependency (state store, role bindings) is unavailable.",
}


def _statuses(route: RouteInfo, operation: dict[str, Any], method: str) -> set[int]:
    statuses = {int(code) for code in operation.get("responses", {}) if code.isdigit()}
    statuses = {code for code in statuses if code >= 400}
    if route.permissions:
        statuses |= {401, 403, 503}
    if route.param_names or operation.get("parameters"):
        statuses |= {404, 422}
    if method in BODY_METHODS and "requestBody" in operation:
        statuses |= {400, 409, 413, 422}
    return statuses


def _own_model(existing: dict[str, Any] | None) -> bool:
    """The route answers this status with a model of its own (e.g. /readyz's Readiness)."""
    content = repr((existing or {}).get("content", {}))
    return "#/components/schemas/" in content and "HTTPValidationError" not in content


def _problem_response(code: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    if existing is not None and _own_model(existing):
        return existing  # not an error of the request: the document says what is sent
    description = (existing or {}).get("description") or _WHY.get(code) or HTTPStatus(code).phrase
    if code == 422 or description == "Validation Error":
        description = _WHY[422]
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def _declare(schema: dict[str, Any], routes: list[RouteInfo]) -> None:
    by_path = {(r.path, m): r for r in routes for m in r.methods}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = by_path.get((path, method.upper()))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(_statuses(route, operation, method.upper())):
                responses[str(code)] = _problem_response(code, responses.get(str(code)))


def _add_problem_schemas(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    text = repr(schema["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            components.pop(unused, None)


def install_openapi(app: FastAPI) -> None:
    """Serve the document with every operation's error statuses declared (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _declare(schema, route_table(app))
            _add_problem_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
