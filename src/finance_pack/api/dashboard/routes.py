"""The dashboard's pages, served by the API under `/` (read-only, behind the same permissions
as the API: a page needs what its `/v1/...` twin needs)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from finance_pack.access.actors import Actor
from finance_pack.access.tokens import InvalidTokenError
from finance_pack.api.auth import SESSION_COOKIE, PermissionRequirement, _bearer
from finance_pack.api.dashboard.views import (
    anomalies_page,
    backtest_page,
    budgets_page,
    invoices_page,
    slo_page,
)
from finance_pack.api.forecasts import backtest_answer
from finance_pack.api.kpi_answers import Answer, KpiQuestion, kpi_answer
from finance_pack.api.kpi_cache import validators
from finance_pack.clock import Clock
from finance_pack.services.cost_explorer import breakdown_json, explore_costs
from finance_pack.services.signin import SESSION_LIFETIME, exchange_signin

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
PUBLIC_PAGES = frozenset({"/signin", "/signout"})
GROUPS = ("service", "account", "region", "provider")


class PageAuthError(Exception):
    """A page request without a valid session (401) or without the permission (403)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PagePermission(PermissionRequirement):
    """`require` for pages: the same check, answered with a page instead of a problem body."""

    def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        try:
            return super().__call__(request, credentials)
        except HTTPException as exc:
            raise PageAuthError(exc.status_code, str(exc.detail)) from None


def page_requires(permission: str) -> Any:
    return Depends(PagePermission(permission))


router = APIRouter(include_in_schema=False)


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.finance.clock
    return clock.now()


def _render(request: Request, name: str, actor: Actor | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"actor": actor, "path": request.url.path, **context}
    )


@router.get("/", response_class=HTMLResponse)
def budgets(
    request: Request,
    actor: Annotated[Actor, page_requires("kpis:read")],
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    """The `/v1/kpis` answer for the same question, as cards: computed once per snapshot,
    budget version and clock step, and a reload with its `ETag` is a 304."""
    state = request.app.state.finance
    timezone = state.context.config.timezone
    answer = kpi_answer(
        state,
        "budgets.page",
        KpiQuestion(month=month),
        lambda report: budgets_page(report, timezone),
        now=_now(request),
        if_none_match=request.headers.get("if-none-match"),
        audience=_audience(actor),
    )
    return _cached_page(request, actor, answer, "budgets.html", "Budgets")


@router.get("/costs", response_class=HTMLResponse)
def costs(
    request: Request,
    actor: Annotated[Actor, page_requires("costs:read")],
    group_by: Annotated[
        str, Query(pattern=r"^(service|account|region|provider|tag:[^\"\\]{1,128})$")
    ] = "service",
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    tag_key: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    state = request.app.state.finance
    if tag_key:
        group_by = f"tag:{tag_key}"
    breakdown = explore_costs(state.context, group_by, month, _now(request))
    following = breakdown.month.next()
    document = breakdown_json(breakdown)
    top = max((abs(row.amount) for row in breakdown.rows), default=0) or 1
    widths = [f"{abs(row.amount) / top * 100:.1f}%" for row in breakdown.rows]
    return _render(
        request,
        "costs.html",
        actor,
        title="Cost explorer",
        doc=document,
        rows=list(zip(document["rows"], widths, strict=True)),  # type: ignore[call-overload]
        groups=GROUPS,
        group_by=group_by,
        previous_month=str(breakdown.month.previous()),
        next_month=None if following.start > _now(request) else str(following),
    )


@router.get("/forecasts", response_class=HTMLResponse)
def forecasts(
    request: Request,
    actor: Annotated[Actor, page_requires("kpis:read")],
    months: Annotated[int, Query(ge=1, le=12)] = 3,
) -> Response:
    """`/v1/forecast/backtest`'s cached answer as a table; a reload with its `ETag` is a 304.
    After an ingest it shows the previous back-test, saying so, while the new one is computed:
    a back-test takes seconds per budget."""
    answer = backtest_answer(
        request.app.state.finance,
        months,
        None,
        if_none_match=request.headers.get("if-none-match"),
        audience=_audience(actor),
        in_background=True,
    )
    shown = backtest_page(answer.value, months, answer.behind) if answer.value else None
    page = Answer(answer.etag, shown)
    return _cached_page(request, actor, page, "forecasts.html", "Forecast accuracy")


def _audience(actor: Actor) -> str:
    """What a page shows of who asks (the name, the links the permissions open), digested
    into its `ETag`: one subject's page is never another's 304."""
    seen = json.dumps([actor.subject, sorted(actor.permissions)])
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def _cached_page(
    request: Request, actor: Actor, answer: Answer[Any], template: str, title: str
) -> Response:
    headers = validators(answer.etag) if answer.etag else {}
    if answer.value is None:
        return Response(status_code=304, headers=headers)
    page = _render(request, template, actor, page=answer.value, title=title)
    page.headers.update(headers)
    return page


@router.get("/anomalies", response_class=HTMLResponse)
def anomalies(
    request: Request,
    actor: Annotated[Actor, page_requires("alerts:read")],
    state: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
) -> HTMLResponse:
    cards = anomalies_page(request.app.state.finance.engine, state)
    return _render(request, "anomalies.html", actor, title="Anomalies", cards=cards, state=state)


@router.get("/invoices", response_class=HTMLResponse)
def invoices(
    request: Request,
    actor: Annotated[Actor, page_requires("invoices:read")],
    status: Annotated[str | None, Query(max_length=24)] = None,
) -> HTMLResponse:
    rows = invoices_page(request.app.state.finance.engine, status)
    return _render(request, "invoices.html", actor, title="Invoices", rows=rows, status=status)


@router.get("/slo", response_class=HTMLResponse)
def slo(request: Request, actor: Annotated[Actor, page_requires("slo:read")]) -> HTMLResponse:
    state = request.app.state.finance
    rows = slo_page(state.context, state.engine, _now(request))
    return _render(request, "slo.html", actor, title="Service levels", rows=rows)


@router.get("/signin", response_class=HTMLResponse)
def signin(request: Request, token: str | None = None) -> Response:
    if not token:
        return _render(request, "signin.html", None, title="Sign in", reason=None, status=200)
    state = request.app.state.finance
    try:
        session = exchange_signin(state.engine, token, _now(request))
    except InvalidTokenError as exc:
        page = _render(request, "signin.html", None, title="Sign in", reason=str(exc), status=401)
        page.status_code = 401
        return page
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signout")
def signout() -> Response:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def install_dashboard(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(PageAuthError)
    def _page_auth(request: Request, exc: PageAuthError) -> HTMLResponse:
        title = "Not allowed" if exc.status == 403 else "Sign in"
        response = _render(
            request, "signin.html", None, title=title, reason=exc.reason, status=exc.status
        )
        response.status_code = exc.status
        return response
