"""Request, list and show invoices."""

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
from finance_pack.services.invoices import (
    InvoiceRequest,
    invoice_detail,
    invoice_json,
    request_invoice,
)
from finance_pack.store.invoices import list_invoices

app = typer.Typer(help=__doc__, no_args_is_help=True)

COLUMNS = [
    "id",
    "customer_id",
    "amount",
    "currency",
    "status",
    "number",
    "requested_at",
    "delivered_at",
    "latency_seconds",
    "failure",
]


@app.command("create")
def create(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount in major units, e.g. 1250.00.")],
    currency: Annotated[
        str | None, typer.Option("--currency", help="e.g. usd (default: the customer's).")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    due_days: Annotated[int | None, typer.Option("--due-days", help="Days until due.")] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="Re-running with the same key makes no new one."),
    ] = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    acting_as: ActingAsOption = None,
) -> None:
    """Request an invoice; the Invoice Bot creates it in Stripe and posts it to Slack.

    Needs invoices:create; audited. Example:
    brctl finance invoice create --customer acme --amount 1250.00 --currency usd --due-days 30
    """
    context = open_context(target)
    actor = authorize_cli(context, "invoices:create", acting_as)
    record, created = request_invoice(
        open_state(context),
        context.config,
        actor,
        InvoiceRequest(customer, amount, currency, description, due_days),
        idempotency_key=idempotency_key,
        now=now(),
    )
    data = invoice_json(record)
    if fmt is not OutputFormat.TABLE:
        render([data], fmt)
        return
    verb = "requested" if created else "already requested (same idempotency key)"
    console.print(
        f"[green]invoice {record.id} {verb}[/]: {data['amount']} {record.currency} "
        f"for {record.customer_id}; status {record.status}"
    )


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option("--status", help="e.g. delivered, paid")] = None,
    customer: Annotated[str | None, typer.Option("--customer")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 50,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    acting_as: ActingAsOption = None,
) -> None:
    """List invoices, newest first (needs invoices:read).

    Example: brctl finance invoice list --status delivered --format csv
    """
    context = open_context(target)
    authorize_cli(context, "invoices:read", acting_as)
    with open_state(context).connect() as connection:
        records = list_invoices(connection, status=status, customer_id=customer, limit=limit)
    rows = [invoice_json(r) for r in records]
    empty = _no_invoices(status, customer)
    render(rows, fmt, title="Invoices", columns=COLUMNS, empty=empty)  # JSON keeps every field


def _no_invoices(status: str | None, customer: str | None) -> str:
    """What to do when nothing matches: with no status asked for, the command that requests one."""
    whose = f" for {customer}" if customer else ""
    if status:
        return f"No {status} invoices{whose}."
    return (
        f"No invoices{whose} yet. Request one with: brctl finance invoice create "
        f"--customer {customer or 'acme'} --amount 1250.00 --currency usd --due-days 30"
    )


@app.command("show")
def show(
    invoice_id: Annotated[str, typer.Argument(help="Our invoice id (inv_...).")],
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    acting_as: ActingAsOption = None,
) -> None:
    """Show one invoice with every state change (needs invoices:read).

    Example: brctl finance invoice show inv_0123456789abcdef0123 --format json
    """
    context = open_context(target)
    authorize_cli(context, "invoices:read", acting_as)
    detail = invoice_detail(open_state(context), invoice_id)
    steps = detail.pop("history") if fmt is OutputFormat.TABLE else None
    render_detail(detail, fmt, title=f"Invoice {invoice_id}")
    if steps is not None:  # machine formats carry the history inside the record
        render(steps, fmt, title="History", columns=["at", "actor", "from", "to", "detail"])
