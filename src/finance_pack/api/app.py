"""The FastAPI application. Later capabilities add their routers in `create_app`; every
non-public route declares its permission with `finance_pack.api.auth.require` (a test checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from finance_pack import __version__
from finance_pack.api import (
    access,
    alerts,
    budgets,
    costs,
    customers,
    forecasts,
    invoices,
    slo,
    stream,
    webhooks,
)
from finance_pack.api.auth import install_auth
from finance_pack.api.body_limit import BodyLimitMiddleware
from finance_pack.api.dashboard.routes import PUBLIC_PAGES, install_dashboard
from finance_pack.api.errors import install_error_handlers
from finance_pack.api.freshness_metrics import FreshnessCollector
from finance_pack.api.kpi_cache import KpiCache
from finance_pack.api.metrics import ApiMetrics
from finance_pack.api.openapi import install_openapi
from finance_pack.api.slo_metrics import SloCollector
from finance_pack.clock import SYSTEM_CLOCK, Clock
from finance_pack.context import PackContext
from finance_pack.services.reporting import cost_queries
from finance_pack.services.slos import slo_reports
from finance_pack.store.migrate import current_revision, head_revision
from finance_pack.store.tables import store_info

DOCS_ASSETS = "/docs-assets"
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        *PUBLIC_PAGES,
    }
)


@dataclass
class AppState:
    context: PackContext
    engine: Engine
    metrics: ApiMetrics
    clock: Clock  # every route reads the time from here (tests inject a FakeClock)
    kpi_cache: KpiCache = field(default_factory=KpiCache)
    # Agents this process should run (`brctl finance up`) -> why one could not start, or None.
    agents: dict[str, str | None] = field(default_factory=dict)


def _freshness(context: PackContext) -> dict[str, datetime]:
    with cost_queries(context.cost_store_url, context.config.timezone) as queries:
        return queries.freshness_by_provider()


class Health(BaseModel):
    status: str
    version: str


class Readiness(BaseModel):
    """Ready, or why not: the state store, its schema, or an agent that could not start."""

    status: str
    schema_revision: str | None = Field(default=None, serialization_alias="schema")
    expected: str | None = None
    state_store: str | None = None
    agents: dict[str, str] | None = None


def create_app(context: PackContext, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    # Swagger UI and ReDoc from packaged files: the docs work with no network at all.
    app = FastAPIOffline(
        title="BlackRoad Finance Ops Pack",
        version=__version__,
        description="Budgets, burn-rate forecasts, invoices and cost-anomaly alerts.\n\n"
        "Errors are RFC 9457 problem details (`application/problem+json`).",
        static_url=DOCS_ASSETS,
    )
    # Refused with a 413 problem while streaming, before a body is buffered or parsed.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=context.config.api.max_body_bytes)
    metrics = ApiMetrics()
    app.state.finance = AppState(context=context, engine=engine, metrics=metrics, clock=clock)
    metrics.install(app)  # outermost: it sees every answer, a 413 and a 500 included
    install_auth(app, context, engine, clock)
    install_error_handlers(app)
    install_openapi(app)
    metrics.registry.register(SloCollector(lambda: slo_reports(context, engine, clock.now())))
    metrics.registry.register(
        FreshnessCollector(
            lambda: _freshness(context),
            clock.now,
            timedelta(hours=context.config.stale_after_hours),
        )
    )
    app.include_router(access.router)
    app.include_router(budgets.router)
    app.include_router(slo.router)
    app.include_router(costs.router)
    app.include_router(forecasts.router)
    app.include_router(stream.router)
    app.include_router(alerts.router)
    app.include_router(invoices.router)
    app.include_router(customers.router)
    app.include_router(webhooks.router)
    install_dashboard(app)

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    def healthz() -> Health:
        return Health(status="ok", version=__version__)

    not_ready = {503: {"model": Readiness, "description": "Not ready: the body says why."}}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The state store answers and is migrated; every agent started",
        responses=not_ready,  # type: ignore[arg-type]
    )
    def readyz() -> JSONResponse:
        answer = _readiness(app.state.finance)
        status = 200 if answer.status == "ready" else 503
        return JSONResponse(answer.model_dump(exclude_none=True, by_alias=True), status_code=status)

    return app


def _readiness(state: AppState) -> Readiness:
    try:
        with state.engine.connect() as connection:
            connection.execute(select(store_info.c.key).limit(1)).all()
        current, head = current_revision(state.engine), head_revision()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        return Readiness(status="unavailable", state_store=reason)
    if current != head:
        return Readiness(status="migrating", schema_revision=current, expected=head)
    failed = {name: why for name, why in state.agents.items() if why is not None}
    if failed:
        return Readiness(status="agents-failed", schema_revision=current, agents=failed)
    return Readiness(status="ready", schema_revision=current)
