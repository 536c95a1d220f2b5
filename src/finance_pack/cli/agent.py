"""Run the pack's agents."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine

from finance_pack.cli.common import (
    TargetOption,
    configure_logging,
    console,
    now,
    open_context,
    open_state,
)
from finance_pack.context import PackContext

if TYPE_CHECKING:
    from finance_pack.agents.runtime import Tick

app = typer.Typer(help=__doc__, no_args_is_help=True)


class AgentName(StrEnum):
    BUDGETEER = "budgeteer"
    COST_WATCHER = "cost-watcher"
    INVOICE_BOT = "invoice-bot"


def _build(name: AgentName, context: PackContext, engine: Engine) -> tuple[Tick, str]:
    """The agent's tick and its replica name."""
    # Imported here: every `brctl` start builds this command tree, few run these agents.
    if name is AgentName.COST_WATCHER:
        from finance_pack.agents.cost_watcher.factory import build_agent

        watcher = build_agent(context, engine)
        return watcher.tick, watcher.dispatcher.replica
    if name is AgentName.INVOICE_BOT:
        from finance_pack.agents.invoice_bot.factory import build_invoice_bot  # loads stripe

        bot = build_invoice_bot(context, engine)
        return bot.tick, bot.replica
    from finance_pack.agents.budgeteer.factory import build_budgeteer

    budgeteer = build_budgeteer(context, engine)
    return budgeteer.tick, budgeteer.replica


@app.command("run")
def run(
    name: Annotated[AgentName, typer.Argument(help="The agent to run.")],
    target: TargetOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="Do one round of due work, then exit (cron-style).")
    ] = False,
) -> None:
    """Run one agent until SIGTERM or Ctrl-C; several replicas need FINANCE_DATABASE_URL.

    Example: brctl finance agent run budgeteer --target=/srv/blackroad
    (or: brctl finance agent run cost-watcher, invoice-bot)
    """
    from finance_pack.agents.runtime import AgentLoop, stop_on_signals

    configure_logging()
    context = open_context(target)
    tick, replica = _build(name, context, open_state(context))
    if once:
        next_due = tick(now())
        console.print(f"{name.value}: due work done; next due {next_due:%Y-%m-%d %H:%M} UTC")
        return
    loop = AgentLoop(name.value, tick)
    console.print(f"{name.value} running as {replica}; SIGTERM stops it")
    with stop_on_signals(loop.stop):
        loop.run()
