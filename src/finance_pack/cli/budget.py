"""Create, change, list and delete budgets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

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
from finance_pack.context import PackContext
from finance_pack.domain.budgets import Scope
from finance_pack.services.budget_admin import (
    BudgetChange,
    BudgetChangeResult,
    ScopeChange,
    budgets_in_force,
    remove_budget,
    scope_of,
    set_budget,
)
from finance_pack.store.budgets import AnyBudgetEntry, BudgetEntry, entry_name

app = typer.Typer(help=__doc__, no_args_is_help=True)
warnings_console = Console(stderr=True, soft_wrap=True)

COLUMNS = ["name", "amount", "currency", "scope", "thresholds", "source", "updated_by", "error"]
NO_BUDGETS = (
    "No budgets yet. Set one with: brctl finance budget set platform --amount 5000 "
    "--currency USD --threshold 80 (or declare it under budgets: in finance.yaml)"
)


def _scope_change(
    provider: list[str] | None,
    account: list[str] | None,
    service: list[str] | None,
    region: list[str] | None,
    tag: list[str] | None,
) -> ScopeChange | None:
    """The new scope when any filter is given (it replaces the scope); None keeps it."""
    if not any((provider, account, service, region, tag)):
        return None
    return ScopeChange(provider or [], account or [], service or [], region or [], tag or [])


def _check_scope(context: PackContext, name: str, scope: Scope, strict: bool, at: datetime) -> None:
    """Warn about (with --strict, refuse) a scope that matched no spend in 90 days."""
    # The cost store loads Ibis and DuckDB: only `budget set` with a scope pays for them.
    from finance_pack.services.reporting import (
        ScopeMatchesNothingError,
        cost_queries,
        scope_warning,
    )

    with cost_queries(context.cost_store_url, context.config.timezone) as queries:
        warning = scope_warning(queries, scope, at)
    if warning and strict:
        raise ScopeMatchesNothingError(
            f"budget {name}: {warning}", hint="fix the scope, or leave out --strict"
        )
    if warning:
        warnings_console.print(
            f"[yellow]warning:[/] budget {escape(name)}: {escape(warning)}", highlight=False
        )


def _describe(result: BudgetChangeResult) -> str:
    after = result.after
    if result.created:
        return f"created budget {after['name']}: {after['amount']} {after['currency']} monthly"
    before = result.before or {}
    parts = [
        f"{name} {_short(before.get(name))} → {_short(after.get(name))}" for name in result.changed
    ]
    kept = [
        name for name in ("amount", "currency", "scope", "thresholds") if name not in result.changed
    ]
    text = f"updated budget {after['name']}: " + ("; ".join(parts) or "nothing changed")
    return text + (f" (kept {', '.join(kept)})" if kept and result.changed else "")


def _short(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        filters = {k: v for k, v in value.items() if v}
        return str(filters) if filters else "all spend"
    return "none" if value is None else str(value)


@app.command("set")
def set_cmd(
    name: Annotated[str, typer.Argument(help="Budget name (letters, digits, - and _; ≤ 64).")],
    amount: Annotated[
        str | None,
        typer.Option("--amount", help="Monthly amount, e.g. 5000.00 (kept if left out)."),
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO 4217 code, e.g. USD (kept if left out).")
    ] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", help="Repeatable.")] = None,
    account: Annotated[list[str] | None, typer.Option("--account", help="Repeatable.")] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Repeatable.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE, repeatable.")] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            help="PERCENT[:actual|forecast], repeatable (80, 100:forecast); replaces them.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse a scope that matched no spend in 90 days.")
    ] = False,
    no_thresholds: Annotated[
        bool, typer.Option("--no-thresholds", help="Remove every threshold (never alerts).")
    ] = False,
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Create a budget, or change the fields given (needs budgets:write; audited).

    What is left out keeps its value; any scope filter replaces the whole scope.
    A scope that matched no spend in the last 90 days is warned about, naming the closest
    values (--strict refuses); a service may be named by its CUR code, FOCUS or Cost Explorer
    name.

    Example: brctl finance budget set platform --amount 5000 --currency USD
    --service "Amazon Elastic Compute Cloud" --tag team=platform --threshold 80
    --threshold 100:forecast
    """
    context = open_context(target)
    actor = authorize_cli(context, "budgets:write", acting_as)
    change = BudgetChange(
        name,
        amount,
        currency,
        _scope_change(provider, account, service, region, tag),
        [] if no_thresholds else threshold,
    )
    at = now()
    if change.scope is not None:
        _check_scope(context, name, scope_of(name, change.scope), strict, at)
    result = set_budget(open_state(context), context.config, change, actor, at)
    console.print(f"[green]{escape(_describe(result))}[/]", highlight=False)
    for warning in result.warnings:
        warnings_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def _row(entry: AnyBudgetEntry) -> dict[str, object]:
    if not isinstance(entry, BudgetEntry):
        return {
            "name": entry.name,
            "amount": None,
            "currency": entry.stored.get("currency"),
            "scope": None,
            "thresholds": [],
            "source": entry.source.value,
            "updated_by": entry.updated_by,
            "error": entry.error,
        }
    budget = entry.budget
    return {
        "name": budget.name,
        "amount": f"{budget.amount.amount.normalize():f}",
        "currency": budget.amount.currency,
        "scope": budget.scope.describe(),
        "thresholds": [str(t) for t in budget.thresholds],
        "source": entry.source.value,
        "updated_by": entry.updated_by,
        "error": None,
    }


@app.command("list")
def list_cmd(target: TargetOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the budgets in force (managed ones over finance.yaml's); invalid ones with the error.

    Example: brctl finance budget list --format json
    """
    context = open_context(target)
    entries = budgets_in_force(open_state(context), context.config)
    rows = [_row(e) for e in entries]
    if fmt is OutputFormat.TABLE and not any(row["error"] for row in rows):
        rows = [{k: v for k, v in row.items() if k != "error"} for row in rows]
    columns = COLUMNS if fmt is OutputFormat.CSV else None  # the header even without rows
    render(rows, fmt, title="Budgets", columns=columns, empty=NO_BUDGETS)
    broken = [entry_name(e) for e in entries if not isinstance(e, BudgetEntry)]
    if broken and fmt is OutputFormat.TABLE:
        warnings_console.print(
            f"[yellow]warning:[/] {len(broken)} stored budget(s) are invalid; replace them with "
            "`budget set` or remove them with `budget delete`",
            highlight=False,
        )


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
    console.print(
        f"[green]deleted budget {escape(entry_name(removed))}[/] ({removed.source.value})"
    )
