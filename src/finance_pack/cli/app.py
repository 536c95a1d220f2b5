"""`brctl finance`: the pack's command tree, one module per group."""

from __future__ import annotations

import typer

from finance_pack.cli import (
    agent,
    audit,
    budget,
    budgeteer,
    costs,
    dashboard,
    db,
    demo,
    doctor,
    forecast,
    ingest,
    kpi,
    sandbox,
    slo,
    token,
    up,
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="Finance Ops Pack: budgets, forecasts, invoices and cost alerts.\n\n"
        "Example: brctl finance doctor --target=/srv/blackroad",
        no_args_is_help=True,
    )
    app.command("demo")(demo.demo)
    app.command("up")(up.up)
    app.command("doctor")(doctor.doctor)
    app.command("kpi")(kpi.kpi)
    app.command("slo")(slo.slo)
    app.command("audit")(audit.audit)
    app.command("costs")(costs.costs)
    app.command("dashboard-link")(dashboard.dashboard_link)
    app.add_typer(budget.app, name="budget")
    app.add_typer(forecast.app, name="forecast")
    app.add_typer(ingest.app, name="ingest")
    app.add_typer(budgeteer.app, name="budgeteer")
    app.add_typer(agent.app, name="agent")
    app.add_typer(db.app, name="db")
    app.add_typer(token.app, name="token")
    app.add_typer(sandbox.app, name="sandbox")
    return app
