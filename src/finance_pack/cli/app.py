"""`brctl finance`: the pack's command tree, one module per group."""

from __future__ import annotations

import typer

from finance_pack.cli import db, demo, doctor, up


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="Finance Ops Pack: budgets, forecasts, invoices and cost alerts.\n\n"
        "Example: brctl finance doctor --target=/srv/blackroad",
        no_args_is_help=True,
    )
    app.command("demo")(demo.demo)
    app.command("up")(up.up)
    app.command("doctor")(doctor.doctor)
    app.add_typer(db.app, name="db")
    return app
