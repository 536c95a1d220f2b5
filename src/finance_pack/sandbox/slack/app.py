"""The emulator's HTTP face: Slack's `/api/<method>`, the upload URL, files, and `/_emulator/*`.

Slack answers API errors with HTTP 200 and `{"ok": false}`; only rate limits (429 with
`Retry-After`) and server trouble (5xx) change the status code, which is what clients retry on.
"""

from __future__ import annotations

import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from finance_pack.sandbox.slack.emulator import SlackEmulator, file_mimetype
from finance_pack.sandbox.slack.faults import FAULT_STATUSES, UPLOAD_METHOD, Fault, RecordedRequest
from finance_pack.sandbox.slack.methods import METHODS, Call
from finance_pack.sandbox.slack.page import render_page
from finance_pack.sandbox.slack.workspace import ApiFailure


class FaultRequest(BaseModel):
    """Body of `POST /_emulator/faults`."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description=f"one of {sorted(FAULT_STATUSES)}")
    method: str | None = Field(default=None, description="API method; null for every call")
    count: int | None = Field(default=None, ge=1)
    seconds: float | None = Field(default=None, gt=0)
    retry_after: int = Field(default=1, ge=0)


def multipart_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    """Fields of a multipart/form-data body, by name (the stdlib parser, no extra package)."""
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    parsed = BytesParser(policy=HTTP).parsebytes(envelope + body)
    fields: dict[str, bytes] = {}
    for part in parsed.iter_parts() if isinstance(parsed, Message) else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


async def request_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if not body:
        return params
    if content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ApiFailure("invalid_json") from exc
        if not isinstance(decoded, dict):
            raise ApiFailure("invalid_json")
        params.update(decoded)
    elif content_type.startswith("multipart/form-data"):
        fields = multipart_fields(body, content_type)
        params.update({name: value.decode("utf-8") for name, value in fields.items()})
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def bearer_token(request: Request, params: dict[str, Any]) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    token = params.get("token")
    return str(token) if token else None


def fault_response(fault: Fault) -> JSONResponse:
    if fault.status == 429:
        return JSONResponse(
            {"ok": False, "error": "ratelimited"},
            status_code=429,
            headers={"Retry-After": str(fault.retry_after)},
        )
    return JSONResponse({"ok": False, "error": "internal_error"}, status_code=fault.status)


class EmulatorRoutes:
    """The request handlers, bound to one emulator."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emulator = emulator

    def _record(self, method: str, at: float, status: int, error: str | None) -> None:
        self.emulator.request_log.record(RecordedRequest(method, at, status, error))

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        arrived = self.emulator.monotonic()
        fault = self.emulator.faults.take(method, arrived)
        if fault is not None:
            self._record(method, arrived, fault.status, "injected_fault")
            return fault_response(fault)
        status = 200
        body: dict[str, Any] = {"ok": True}
        try:
            params = await request_params(request)
            self.emulator.authenticate(bearer_token(request, params))
            handler = METHODS.get(method)
            if handler is None:
                status = 404
                raise ApiFailure("unknown_method")
            body.update(handler(self.emulator, Call(params, str(request.base_url))))
        except ApiFailure as failure:
            body = {"ok": False, "error": failure.code}
        self._record(method, arrived, status, None if body["ok"] else str(body["error"]))
        return JSONResponse(body, status_code=status)

    async def upload(self, request: Request) -> Response:
        """The upload URL: the raw bytes (as slack_sdk sends them) or a multipart `file` field."""
        arrived = self.emulator.monotonic()
        fault = self.emulator.faults.take(UPLOAD_METHOD, arrived)
        if fault is not None:
            self._record(UPLOAD_METHOD, arrived, fault.status, "injected_fault")
            return fault_response(fault)
        content = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            fields = multipart_fields(content, content_type)
            content = fields.get("file", next(iter(fields.values()), b""))
        try:
            self.emulator.workspace.store_upload(request.path_params["file_id"], content)
        except ApiFailure as failure:
            self._record(UPLOAD_METHOD, arrived, 404, failure.code)
            return PlainTextResponse(failure.code, status_code=404)
        self._record(UPLOAD_METHOD, arrived, 200, None)
        return PlainTextResponse(f"OK - {len(content)}")

    async def download(self, request: Request) -> Response:
        try:
            stored = self.emulator.workspace.file(request.path_params["file_id"])
        except ApiFailure:
            return PlainTextResponse("file_not_found", status_code=404)
        if stored.content is None:
            return PlainTextResponse("file_not_found", status_code=404)
        return Response(stored.content, media_type=file_mimetype(stored))

    async def messages(self, request: Request) -> Response:
        listing = self.emulator.messages(str(request.base_url))
        channel = request.query_params.get("channel")
        if channel:
            name = channel.removeprefix("#")
            listing = [
                m for m in listing if channel == m["channel_id"] or name == m["channel_name"]
            ]
        return JSONResponse(listing)

    async def requests(self, request: Request) -> Response:
        method = request.query_params.get("method")
        return JSONResponse([entry.as_json() for entry in self.emulator.requests(method)])

    async def faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.emulator.clear_faults()
            return JSONResponse({"ok": True})
        try:
            spec = FaultRequest.model_validate_json(await request.body())
            fault = self.emulator.inject_fault(**spec.model_dump())
        except (ValidationError, ValueError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True, "fault": spec.model_dump(), "until": fault.until}, 201)

    async def reset(self, request: Request) -> Response:
        self.emulator.reset()
        return JSONResponse({"ok": True})

    async def page(self, request: Request) -> Response:
        return HTMLResponse(render_page(self.emulator, str(request.base_url)))


def create_app(emulator: SlackEmulator | None = None) -> Starlette:
    """The emulator as an ASGI app; `app.state.emulator` is the `SlackEmulator` behind it."""
    emulator = emulator or SlackEmulator()
    routes = EmulatorRoutes(emulator)
    app = Starlette(
        routes=[
            Route("/", routes.page, methods=["GET"]),
            Route("/api/{method}", routes.api, methods=["GET", "POST"]),
            Route("/upload/v1/{file_id}", routes.upload, methods=["POST"]),
            Route("/files/{file_id}/{name}", routes.download, methods=["GET"]),
            Route("/_emulator/messages", routes.messages, methods=["GET"]),
            Route("/_emulator/requests", routes.requests, methods=["GET"]),
            Route("/_emulator/faults", routes.faults, methods=["POST", "DELETE"]),
            Route("/_emulator/reset", routes.reset, methods=["POST"]),
        ]
    )
    app.state.emulator = emulator
    return app
