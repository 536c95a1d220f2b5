"""`brctl finance agent run NAME`: one agent in the foreground (one process per agent)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from finance_pack.cli.common import (
    TargetOption,
    configure_logging,
    console,
    now,
    open_context,
    open_state,
)

app = typer.Typer(help="Run the pack's agents.", no_args_is_help=True)


class AgentName(StrEnum):
    BUDGETEER = "budgeteer"


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
    """
    from finance_pack.agents.budgeteer.factory import build_budgeteer
    from finance_pack.agents.runtime import AgentLoop, stop_on_signals

    configure_logging()
    context = open_context(target)
    budgeteer = build_budgeteer(context, open_state(context))
    if once:
        next_due = budgeteer.tick(now())
        console.print(f"{name.value}: due work done; next due {next_due:%Y-%m-%d %H:%M} UTC")
        return
    loop = AgentLoop(name.value, budgeteer.tick)
    console.print(f"{name.value} running as {budgeteer.replica}; SIGTERM stops it")
    with stop_on_signals(loop.stop):
        loop.run()
