"""Manage the state store's schema."""

from __future__ import annotations

import typer

from finance_pack.cli.common import TargetOption, console, open_context
from finance_pack.store.engine import make_engine, redact
from finance_pack.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(target: TargetOption = None) -> None:
    """Migrate the state store to the newest schema (safe to run on every start).

    Example: brctl finance db upgrade --target=/srv/blackroad
    """
    context = open_context(target)
    before, after = upgrade(make_engine(context.state_db_url))
    where = redact(context.state_db_url)
    if before == after:
        console.print(f"{where} is at the newest schema ({after}): no changes")
    else:
        console.print(f"[green]upgraded {where} from {before or 'empty'} to {after}[/]")


@app.command("status")
def status_cmd(target: TargetOption = None) -> None:
    """Show the state store's schema revision and the newest one.

    Example: brctl finance db status
    """
    context = open_context(target)
    current = current_revision(make_engine(context.state_db_url))
    head = head_revision()
    state = "up to date" if current == head else "needs `brctl finance db upgrade`"
    console.print(
        f"{redact(context.state_db_url)}: schema {current or 'empty'}, newest {head}: {state}"
    )
