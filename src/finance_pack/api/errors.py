"""Every error the API answers is RFC 9457 problem details (`application/problem+json`).

`type`, `title`, `status`, `detail`, plus our `hint` (what to do about it) and, for invalid
input, `errors`: one entry per bad field with its path (`body.amount`, `query.since`). The
handlers here are the only place an exception becomes an HTTP answer: HTTP errors raised by
routes and dependencies, request validation, our typed errors (`CommandError` and kin, with
their `hint`), a pydantic model that rejects a value, and anything unexpected (a 500 that
says nothing about internals). `openapi.py` declares the same schema for every operation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from brctl.errors import CommandError
from brctl.errors import UsageError as BrctlUsageError
from finance_pack.api.auth import route_table
from finance_pack.domain.money import CurrencyMismatchError
from finance_pack.errors import (
    ConflictError,
    FinanceError,
    NotFoundError,
    PermissionDeniedError,
    RetryLaterError,
    UnavailableError,
    UsageError,
)

# The one place where errors become HTTP statuses; most specific first, the first match decides.
STATUSES: dict[type[Exception], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    PermissionDeniedError: 403,
    UnavailableError: 503,
    UsageError: 422,
    CurrencyMismatchError: 422,
    BrctlUsageError: 422,  # e.g. a roles.yaml problem found while serving a request
}

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://blackroad.dev/problems/"

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One invalid input field: where it is, and what is wrong with it."""

    field: str = Field(examples=["body.amount"])
    message: str = Field(examples=["String should match pattern '^-?\\d+(\\.\\d+)?$'"])


class Problem(BaseModel):
    """RFC 9457 problem details, with our `hint` and per-field `errors`."""

    type: str = Field(examples=[f"{PROBLEM_TYPE_BASE}validation"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["body.amount: String should match pattern"])
    hint: str = Field(examples=["amounts are decimal strings"])
    errors: list[FieldProblem] | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
}
_SLUGS |= {
    405: "method-not-allowed",
    413: "too-large",
    422: "validation",
    500: "internal",
    503: "unavailable",
}


# What to do about an error whose raiser gave no hint of its own.
_HINTS = {
    400: "send a JSON body with Content-Type: application/json",
    401: "send Authorization: Bearer TOKEN (issue one with: brctl finance token create SUBJECT)",
    403: "ask a Policy Steward for a role that grants it (brctl roles bind)",
    404: "the paths and operations the API serves are listed at /docs and /openapi.json",
    409: "read the resource again, then retry the change",
    422: "see /docs for the values this operation accepts",
    503: "retry later; /readyz says what is unavailable",
}


# RFC 9110's names; Python 3.13 renamed these phrases, older versions keep the RFC 7231 ones,
# and a client should not see a different title depending on the server's interpreter.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def problem_response(
    status: int,
    detail: str,
    *,
    hint: str | None = None,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    slug = _SLUGS.get(status, str(status))
    problem = Problem(
        type=f"{PROBLEM_TYPE_BASE}{slug}",
        title=_TITLES.get(status) or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        hint=hint or _HINTS.get(status, "see /docs for this operation"),
        errors=list(errors) if errors is not None else None,
    )
    body = problem.model_dump(exclude_none=True)
    return ProblemResponse(body, status_code=status, headers=headers)


def _status(exc: Exception) -> int:
    declared = getattr(exc, "http_status", None)  # e.g. 413 for an oversized batch
    if isinstance(declared, int):
        return declared
    return next((code for kind, code in STATUSES.items() if isinstance(exc, kind)), 500)


def field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _field_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    # pydantic prefixes a validator's own message with "Value error, ": noise to a client.
    return [
        FieldProblem(
            field=field_path(e["loc"]), message=str(e["msg"]).removeprefix("Value error, ")
        )
        for e in errors
    ]


def _typed_error_fields(exc: Exception) -> list[FieldProblem] | None:
    # Typed input errors may say which field they concern (`field`, e.g. "amount").
    field = getattr(exc, "field", None)
    if not field:
        return None
    message = getattr(exc, "reason", None) or getattr(exc, "message", None) or str(exc)
    return [FieldProblem(field=f"body.{field}", message=str(message))]


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for route in route_table(request.app):
        if compile_path(route.path)[0].match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    hint = getattr(exc, "hint", None)
    headers = dict(exc.headers or {})
    where = f"{request.method} {request.url.path}"
    if status == 405:
        headers["Allow"] = _allowed_methods(request)
        detail, hint = f"{where} is not served", f"this path answers {headers['Allow']}"
    elif status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:  # no route at all
        detail = f"{where} is not served"
    return problem_response(status, detail, hint=hint, headers=headers)


def _not_json(errors: Sequence[Any]) -> str | None:
    """What is wrong with a body that is not JSON at all (FastAPI reports it as a field error)."""
    for error in errors:
        if error.get("type") == "json_invalid":
            position = error["loc"][-1]
            return f"the body is not valid JSON: {error['ctx']['error']} (at character {position})"
    return None


async def _on_invalid_request(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    not_json = _not_json(exc.errors())
    if not_json is not None:  # 400, as the OpenAPI document says, not a field's 422
        return problem_response(400, not_json)
    fields = _field_problems(exc.errors())
    detail = "; ".join(f"{f.field}: {f.message}" for f in fields) or "invalid request"
    return problem_response(422, detail, errors=fields)


async def _on_invalid_model(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, PydanticValidationError)
    fields = _field_problems(exc.errors())
    detail = "; ".join(f"{f.field}: {f.message}" for f in fields) or "invalid input"
    return problem_response(422, detail, errors=fields)


async def _on_typed_error(_request: Request, exc: Exception) -> ProblemResponse:
    message = exc.message if isinstance(exc, CommandError | FinanceError) else str(exc)
    hint = exc.hint if isinstance(exc, CommandError | FinanceError) else None
    status = _status(exc)
    fields = _typed_error_fields(exc) if status == 422 else None
    # Busy or briefly unavailable: tell the client when the same request can succeed.
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RetryLaterError) else None
    return problem_response(status, message, hint=hint, errors=fields, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "the server failed to answer this request", hint="the server log has the details"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(PydanticValidationError, _on_invalid_model)
    app.add_exception_handler(FinanceError, _on_typed_error)
    app.add_exception_handler(CommandError, _on_typed_error)
    app.add_exception_handler(CurrencyMismatchError, _on_typed_error)
    app.add_exception_handler(Exception, _on_unexpected)
