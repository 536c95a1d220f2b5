"""The emulator's HTTP face: Stripe's `/v1/...` as the official library calls it, the hosted
invoice page and PDF, and `/_emulator/*` to inject faults and inspect what happened."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from finance_pack.sandbox.stripe.emulator import RequestContext, StripeApiError, StripeEmulator
from finance_pack.sandbox.stripe.forms import FormError, decode_form
from finance_pack.sandbox.stripe.objects import error_body, new_id
from finance_pack.sandbox.stripe.pdf import money, render_invoice_pdf

Operation = Callable[[StripeEmulator, Request, dict[str, Any], RequestContext], Any]
MAX_LIMIT = 100


def _fault_response(status: int, retry_after: int) -> JSONResponse:
    if status == 429:
        body = error_body(
            "invalid_request_error",
            "Too many requests hit the API too quickly.",
            code="rate_limit",
        )
        return JSONResponse(body, 429, headers={"Retry-After": str(retry_after)})
    body = error_body("api_error", "An unknown error occurred (injected by the emulator).")
    return JSONResponse(body, status)


def _page(rows: list[dict[str, Any]], query: dict[str, str], url: str) -> dict[str, Any]:
    """Stripe's cursor pagination: newest first, `limit`, `starting_after`, `ending_before`."""
    try:
        limit = min(max(int(query.get("limit", "10")), 1), MAX_LIMIT)
    except ValueError:
        raise StripeApiError(400, "Invalid integer: limit", param="limit") from None
    ids = [row["id"] for row in rows]
    start, end = 0, len(rows)
    if "starting_after" in query:
        if query["starting_after"] not in ids:
            raise StripeApiError(400, "starting_after: no such object", param="starting_after")
        start = ids.index(query["starting_after"]) + 1
    if "ending_before" in query:
        if query["ending_before"] not in ids:
            raise StripeApiError(400, "ending_before: no such object", param="ending_before")
        end = ids.index(query["ending_before"])
        start = max(start, end - limit)
    chosen = rows[start:end][:limit]
    return {"object": "list", "data": chosen, "has_more": start + len(chosen) < end, "url": url}


def _search_result(rows: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {
        "object": "search_result",
        "data": rows,
        "has_more": False,
        "next_page": None,
        "url": url,
    }


def _filters(query: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: query[name] for name in names if name in query}


OPERATIONS: dict[str, Operation] = {
    "customers.create": lambda e, r, p, c: e.create_customer(p, c),
    "customers.retrieve": lambda e, r, p, c: e.get("customer", r.path_params["id"]),
    "customers.list": lambda e, r, p, c: _page(
        e.list_of("customer", _filters(p, ("email",))), p, "/v1/customers"
    ),
    "customers.search": lambda e, r, p, c: _search_result(
        e.search("customer", str(p.get("query", ""))), "/v1/customers/search"
    ),
    "invoiceitems.create": lambda e, r, p, c: e.create_invoice_item(p, c),
    "invoiceitems.retrieve": lambda e, r, p, c: e.get("invoiceitem", r.path_params["id"]),
    "invoiceitems.list": lambda e, r, p, c: _page(
        e.list_of("invoiceitem", _filters(p, ("customer", "invoice"))), p, "/v1/invoiceitems"
    ),
    "invoices.create": lambda e, r, p, c: e.create_invoice(p, c),
    "invoices.retrieve": lambda e, r, p, c: e.get("invoice", r.path_params["id"]),
    "invoices.list": lambda e, r, p, c: _page(
        e.list_of("invoice", _filters(p, ("customer", "status", "collection_method"))),
        p,
        "/v1/invoices",
    ),
    "invoices.search": lambda e, r, p, c: _search_result(
        e.search("invoice", str(p.get("query", ""))), "/v1/invoices/search"
    ),
    "invoices.finalize": lambda e, r, p, c: e.finalize(r.path_params["id"], c),
    "invoices.send": lambda e, r, p, c: e.send(r.path_params["id"], c),
    "invoices.pay": lambda e, r, p, c: e.pay(r.path_params["id"], c),
    "invoices.void": lambda e, r, p, c: e.void(r.path_params["id"], c),
    "webhook_endpoints.create": lambda e, r, p, c: e.create_endpoint(p, c),
    "webhook_endpoints.list": lambda e, r, p, c: _page(
        e.list_of("webhook_endpoint", {}), p, "/v1/webhook_endpoints"
    ),
    "events.list": lambda e, r, p, c: _page(
        e.list_events(_filters(p, ("type",)), _created_gte(p)), p, "/v1/events"
    ),
}


def _created_gte(params: dict[str, Any]) -> int | None:
    created = params.get("created")
    if isinstance(created, dict) and "gte" in created:
        return int(created["gte"])
    return None


class StripeRoutes:
    def __init__(self, emulator: StripeEmulator) -> None:
        self.emulator = emulator

    def endpoint(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await self.call(name, request)

        return handle

    async def call(self, name: str, request: Request) -> Response:
        emulator = self.emulator
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in emulator.api_keys:
            message = "Invalid API Key provided" if key else "You did not provide an API key."
            return JSONResponse(error_body("invalid_request_error", message), 401)
        fault = emulator.faults.take(name, emulator.monotonic())
        if fault is not None:
            return _fault_response(fault.status, fault.retry_after)
        body = (await request.body()).decode("utf-8")
        request_id = new_id("req")
        idem = request.headers.get("idempotency-key") if request.method == "POST" else None
        fingerprint = (request.method, request.url.path, hashlib.sha256(body.encode()).hexdigest())
        headers = {"Request-Id": request_id}
        try:
            params: dict[str, Any] = decode_form(
                body if request.method == "POST" else str(request.url.query)
            )
            if idem is not None:
                stored = emulator.idempotency.replay(idem, fingerprint)
                if stored is not None:
                    replayed = {**headers, "Idempotent-Replayed": "true"}
                    return JSONResponse(stored.body, stored.status, headers=replayed)
            refusal = emulator.refusals.take(name)
            if refusal is not None:
                raise refusal
            result = OPERATIONS[name](emulator, request, params, RequestContext(request_id, idem))
            status, answer = 200, result
        except FormError as exc:
            status, answer = 400, error_body("invalid_request_error", str(exc), param=exc.param)
        except StripeApiError as exc:
            if exc.body["error"]["type"] == "idempotency_error":
                return JSONResponse(exc.body, exc.status, headers=headers)
            status, answer = exc.status, exc.body
        if idem is not None:
            emulator.idempotency.store(idem, fingerprint, status, answer)
        with_idem = {**headers, **({"Idempotency-Key": idem} if idem else {})}
        emulator.calls.append((request.method, request.url.path))
        return JSONResponse(answer, status, headers=with_idem)


def _hosted_page(emulator: StripeEmulator, invoice: dict[str, Any]) -> str:
    amount = html.escape(money(invoice["amount_due"], invoice["currency"]))
    status = html.escape(invoice["status"])
    pay = (
        f'<form method="post" action="/i/{invoice["id"]}/pay"><button>Pay {amount}</button></form>'
        if invoice["status"] == "open"
        else f"<p>This invoice is {status}.</p>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Invoice "
        f"{html.escape(str(invoice['number']))}</title></head><body style='font-family:sans-serif'>"
        f"<h1>{html.escape(str(invoice['account_name']))}</h1>"
        f"<p>Invoice {html.escape(str(invoice['number']))} for "
        f"{html.escape(str(invoice['customer_name'] or invoice['customer']))}</p>"
        f"<p>Amount due: <strong>{amount}</strong> · status: <strong>{status}</strong></p>"
        f"{pay}<p><a href='/invoice/{invoice['id']}/pdf'>Download the PDF</a></p></body></html>"
    )


def create_app(emulator: StripeEmulator) -> Starlette:
    routes = StripeRoutes(emulator)

    def api(path: str, name: str, method: str) -> Route:
        return Route(path, routes.endpoint(name), methods=[method])

    async def hosted(request: Request) -> Response:
        try:
            invoice = emulator.get("invoice", request.path_params["id"])
        except StripeApiError:
            return HTMLResponse("<h1>No such invoice</h1>", 404)
        if invoice["status"] == "draft":
            return HTMLResponse("<h1>This invoice is not finalized</h1>", 404)
        return HTMLResponse(_hosted_page(emulator, invoice))

    async def hosted_pay(request: Request) -> Response:
        invoice_id = request.path_params["id"]
        try:
            emulator.pay(invoice_id, None)
        except StripeApiError as exc:
            return HTMLResponse(html.escape(exc.body["error"]["message"]), exc.status)
        return RedirectResponse(f"/i/{invoice_id}", 303)

    async def invoice_pdf(request: Request) -> Response:
        try:
            invoice = emulator.get("invoice", request.path_params["id"])
        except StripeApiError:
            return Response(status_code=404)
        if invoice["status"] == "draft":
            return Response(status_code=404)
        return Response(render_invoice_pdf(invoice), media_type="application/pdf")

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            emulator.faults.clear()
            emulator.refusals.clear()
            return JSONResponse({"ok": True})
        spec = json.loads(await request.body())
        if "message" in spec:  # a refusal: Stripe's 4xx error object for the operation
            emulator.refusals.add(
                str(spec["operation"]),
                str(spec["message"]),
                status=int(spec.get("status", 400)),
                code=spec.get("code"),
                param=spec.get("param"),
                count=spec.get("count"),
            )
            return JSONResponse({"ok": True})
        emulator.faults.add(
            int(spec["status"]),
            now=emulator.monotonic(),
            method=spec.get("operation"),
            count=spec.get("count"),
            seconds=spec.get("seconds"),
            retry_after=int(spec.get("retry_after", 1)),
        )
        return JSONResponse({"ok": True})

    async def webhook_faults(request: Request) -> Response:
        spec = json.loads(await request.body())
        emulator.webhooks.faults.drop_next = int(spec.get("drop_next", 0))
        emulator.webhooks.faults.delay_seconds = float(spec.get("delay_seconds", 0.0))
        return JSONResponse({"ok": True})

    async def payment_failed(request: Request) -> Response:
        try:
            return JSONResponse(emulator.fail_payment(request.path_params["id"]))
        except StripeApiError as exc:
            return JSONResponse(exc.body, exc.status)

    return Starlette(
        routes=[
            api("/v1/customers", "customers.create", "POST"),
            api("/v1/customers", "customers.list", "GET"),
            api("/v1/customers/search", "customers.search", "GET"),
            api("/v1/customers/{id}", "customers.retrieve", "GET"),
            api("/v1/invoiceitems", "invoiceitems.create", "POST"),
            api("/v1/invoiceitems", "invoiceitems.list", "GET"),
            api("/v1/invoiceitems/{id}", "invoiceitems.retrieve", "GET"),
            api("/v1/invoices", "invoices.create", "POST"),
            api("/v1/invoices", "invoices.list", "GET"),
            api("/v1/invoices/search", "invoices.search", "GET"),
            api("/v1/invoices/{id}", "invoices.retrieve", "GET"),
            api("/v1/invoices/{id}/finalize", "invoices.finalize", "POST"),
            api("/v1/invoices/{id}/send", "invoices.send", "POST"),
            api("/v1/invoices/{id}/pay", "invoices.pay", "POST"),
            api("/v1/invoices/{id}/void", "invoices.void", "POST"),
            api("/v1/webhook_endpoints", "webhook_endpoints.create", "POST"),
            api("/v1/webhook_endpoints", "webhook_endpoints.list", "GET"),
            api("/v1/events", "events.list", "GET"),
            Route("/i/{id}", hosted, methods=["GET"]),
            Route("/i/{id}/pay", hosted_pay, methods=["POST"]),
            Route("/invoice/{id}/pdf", invoice_pdf, methods=["GET"]),
            Route("/_emulator/faults", faults, methods=["POST", "DELETE"]),
            Route("/_emulator/webhooks", webhook_faults, methods=["POST"]),
            Route("/_emulator/invoices/{id}/payment_failed", payment_failed, methods=["POST"]),
        ]
    )
