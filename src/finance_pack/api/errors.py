"""Our errors as HTTP answers: what went wrong and where, with the status a client can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from brctl.errors import CommandError
from brctl.errors import UsageError as BrctlUsageError
from finance_pack.domain.money import CurrencyMismatchError
from finance_pack.errors import (
    ConflictError,
    FinanceError,
    NotFoundError,
    PermissionDeniedError,
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


def _status(exc: Exception) -> int:
    declared = getattr(exc, "http_status", None)  # e.g. 413 for an oversized batch
    if isinstance(declared, int):
        return declared
    return next((code for kind, code in STATUSES.items() if isinstance(exc, kind)), 500)


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        message = exc.message if isinstance(exc, CommandError | FinanceError) else str(exc)
        hint = exc.hint if isinstance(exc, CommandError | FinanceError) else None
        body = {"detail": message, **({"hint": hint} if hint else {})}
        return JSONResponse(body, status_code=_status(exc))

    app.add_exception_handler(FinanceError, handle)
    app.add_exception_handler(CommandError, handle)
    app.add_exception_handler(CurrencyMismatchError, handle)
