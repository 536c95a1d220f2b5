"""The Budgeteer's manual controls."""

from __future__ import annotations

from typing import Annotated

import typer

from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.access.audit import record_audit
from finance_pack.cli.common import TargetOption, console, now, open_context, open_state

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("run-now")
def run_now(
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")
    ] = None,
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Post the burn-rate summary now (needs budgets:write; audited). It does not replace the
    weekly one.

    Example: brctl finance budgeteer run-now --channel "#finops"
    """
    context = open_context(target)
    actor = authorize_cli(context, "budgets:write", acting_as)
    engine = open_state(context)
    from finance_pack.agents.budgeteer.factory import build_budgeteer

    budgeteer = build_budgeteer(context, engine)
    at = now()
    posted = budgeteer.run_now(at, channel or None)
    with engine.begin() as connection:
        after = {"requested": channel or "all", "posted": posted}
        record_audit(
            connection, actor, "budgeteer.run-now", "agent:budgeteer", None, after, "cli", at=at
        )
    console.print(f"[green]posted the summary to {', '.join(posted) or 'no channel'}[/]")
