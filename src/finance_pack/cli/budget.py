"""`brctl finance budget set|list|delete`: budgets managed at run time (Policy Steward)."""

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
from finance_pack.services.budget_admin import (
    budgets_in_force,
    build_budget,
    remove_budget,
    set_budget,
)
from finance_pack.store.budgets import BudgetEntry

app = typer.Typer(help="Create, change, list and delete budgets.", no_args_is_help=True)

Repeatable = Annotated[list[str] | None, typer.Option(show_default=False)]


@app.command("set")
def set_cmd(
    name: Annotated[str, typer.Argument(help="Budget name (letters, digits, - and _).")],
    amount: Annotated[str, typer.Option("--amount", help="Monthly amount, e.g. 5000.00.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code, e.g. USD.")],
    provider: Annotated[list[str] | None, typer.Option("--provider", help="Repeatable.")] = None,
    account: Annotated[list[str] | None, typer.Option("--account", help="Repeatable.")] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Repeatable.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE, repeatable.")] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold", help="PERCENT[:actual|forecast], repeatable (80, 100:forecast)."
        ),
    ] = None,
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Create or replace a budget (needs budgets:write; audited).

    Example: brctl finance budget set platform --amount 5000 --currency USD
    --service AmazonEC2 --tag team=platform --threshold 80 --threshold 100:forecast
    """
    context = open_context(target)
    actor = authorize_cli(context, "budgets:write", acting_as)
    budget = build_budget(
        name,
        amount,
        currency,
        providers=provider or [],
        accounts=account or [],
        services=service or [],
        regions=region or [],
        tags=tag or [],
        thresholds=threshold or [],
    )
    before, _after = set_budget(open_state(context), context.config, budget, actor, now())
    verb = "updated" if before else "created"
    console.print(
        f"[green]{verb} budget {name}[/]: {budget.amount} monthly, {budget.scope.describe()}"
    )


def _row(entry: BudgetEntry) -> dict[str, object]:
    budget = entry.budget
    return {
        "name": budget.name,
        "amount": f"{budget.amount.amount.normalize():f}",
        "currency": budget.amount.currency,
        "scope": budget.scope.describe(),
        "thresholds": [str(t) for t in budget.thresholds],
        "source": entry.source.value,
        "updated_by": entry.updated_by,
    }


@app.command("list")
def list_cmd(target: TargetOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the budgets in force (managed ones over finance.yaml's).

    Example: brctl finance budget list --format json
    """
    context = open_context(target)
    entries = budgets_in_force(open_state(context), context.config)
    render([_row(e) for e in entries], fmt, title="Budgets")


@app.command("delete")
def delete_cmd(
    name: Annotated[str, typer.Argument(help="Budget to delete.")],
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Delete a managed budget (needs budgets:write; audited). finance.yaml's stay there.

    Example: brctl finance budget delete platform
    """
    context = open_context(target)
    actor = authorize_cli(context, "budgets:write", acting_as)
    removed = remove_budget(open_state(context), context.config, name, actor, now())
    console.print(f"[green]deleted budget {name}[/] ({removed.source.value})")
