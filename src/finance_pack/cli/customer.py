"""Add, list and show the customers invoices go to."""

from __future__ import annotations

from typing import Annotated

import typer

from brctl.output import render
from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    console,
    now,
    open_context,
    open_state,
)
from finance_pack.cli.detail import render_detail
from finance_pack.services.customers import add_customer, all_customers, customer_or_404

app = typer.Typer(help=__doc__, no_args_is_help=True)

COLUMNS = ["id", "name", "email", "slack_channel", "default_currency", "stripe_customer_id"]
NO_CUSTOMERS = (
    'No customers yet. Add one with: brctl finance customer add acme --name "Acme Corp" '
    "--email ap@acme.test --currency USD"
)


@app.command("add")
def add(
    customer_id: Annotated[str, typer.Argument(help="Our id: lower-case letters, digits, - _.")],
    name: Annotated[str, typer.Option("--name", help="The name on the invoice.")],
    email: Annotated[str | None, typer.Option("--email", help="Billing email.")] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Slack channel for their invoices (default: invoices)."),
    ] = None,
    currency: Annotated[str, typer.Option("--currency", help="Default currency.")] = "USD",
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Add a customer (needs invoices:create; audited).

    Example: brctl finance customer add acme --name "Acme Corp" --email ap@acme.test
    --channel '#acme-billing' --currency USD
    """
    context = open_context(target)
    actor = authorize_cli(context, "invoices:create", acting_as)
    record = add_customer(
        open_state(context),
        actor,
        customer_id=customer_id,
        name=name,
        email=email,
        slack_channel=channel,
        currency=currency,
        now=now(),
    )
    where = record.slack_channel or "the invoices channel"
    console.print(f"[green]added customer {record.id}[/] ({record.name}); invoices go to {where}")


@app.command("list")
def list_cmd(
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    acting_as: ActingAsOption = None,
) -> None:
    """List the customers (needs invoices:read).

    Example: brctl finance customer list --format csv
    """
    context = open_context(target)
    authorize_cli(context, "invoices:read", acting_as)
    rows = [c.to_json() for c in all_customers(open_state(context))]
    # JSON keeps every field
    render(rows, fmt, title="Customers", columns=COLUMNS, empty=NO_CUSTOMERS)


@app.command("show")
def show(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    acting_as: ActingAsOption = None,
) -> None:
    """Show one customer (needs invoices:read).

    Example: brctl finance customer show acme --format json
    """
    context = open_context(target)
    authorize_cli(context, "invoices:read", acting_as)
    record = customer_or_404(open_state(context), customer_id)
    render_detail(record.to_json(), fmt, title=f"Customer {customer_id}")
