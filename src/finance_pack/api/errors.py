"""Our errors as HTTP answers: what went wrong and where, with the status a client can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from brctl.errors import CommandError, UsageError
from finance_pack.domain.money import CurrencyMismatchError
from finance_pack.errors import (
    NotFoundError,
    PermissionDeniedError,
    RetryLaterError,
    UnavailableError,
)


def _status(exc: Exception) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, UnavailableError):
        return 503
    if isinstance(exc, UsageError | CurrencyMismatchError):
        return 422
    return 500


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        message = exc.message if isinstance(exc, CommandError) else str(exc)
        hint = exc.hint if isinstance(exc, CommandError) else None
        body = {"detail": message, **({"hint": hint} if hint else {})}
        # Busy or briefly unavailable: tell the client when the same request can succeed.
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, RetryLaterError) else None
        )
        return JSONResponse(body, status_code=_status(exc), headers=headers)

    app.add_exception_handler(CommandError, handle)
    app.add_exception_handler(CurrencyMismatchError, handle)
