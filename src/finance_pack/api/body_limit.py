"""Request bodies over `api.max_body_bytes` are refused with a 413 problem, before they are read.

Starlette's own `max_body_size` answers the same 413 as `text/plain` (and replaces whatever the
app answered when the declared length is too big), which breaks the promise that every error is
problem details. This middleware refuses a declared `Content-Length` over the limit at once, and
counts a body sent without one (chunked) as the route reads it: the route's read raises an
HTTP 413 that the API's error handlers turn into problem details like any other.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finance_pack.api.errors import problem_response


class BodyTooLargeError(HTTPException):
    """`size` is the declared length, or (`at_least`) what a body without one had sent so far."""

    def __init__(self, limit: int, size: int, *, at_least: bool = False) -> None:
        sent = f"at least {size}" if at_least else str(size)
        super().__init__(
            413, detail=f"the request body is {sent} bytes, over the limit of {limit} bytes"
        )
        self.hint = f"send at most {limit} bytes (api.max_body_bytes in finance.yaml)"


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            error = BodyTooLargeError(self.limit, declared)
            response = problem_response(413, error.detail, hint=error.hint)
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b"")) if message["type"] == "http.request" else 0
            if received > self.limit:
                raise BodyTooLargeError(self.limit, received, at_least=True)
            return message

        return counted
