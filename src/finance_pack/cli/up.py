"""Serve the API and the dashboard, and run the agents, in one process.

Serves /healthz, /readyz, /metrics, /openapi.json and /v1/...; SIGTERM stops everything cleanly
with exit status 0.

Example: brctl finance up --target=/srv/blackroad --port 8787
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from finance_pack.cli.common import (
    TargetOption,
    configure_logging,
    console,
    open_context,
    open_state,
)
from finance_pack.providers.slack.settings import TOKEN_ENV, TOKEN_FILE_ENV, bot_token_configured
from finance_pack.providers.stripe.settings import API_KEY_ENV as STRIPE_KEY_ENV
from finance_pack.secrets import secret_source

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from finance_pack.agents.cost_watcher.watcher import CostWatcher
    from finance_pack.agents.runtime import AgentLoop, Tick
    from finance_pack.context import PackContext

log = logging.getLogger(__name__)


def _start_agents(
    context: PackContext, engine: Engine, watcher: CostWatcher, status: dict[str, str | None]
) -> list[tuple[AgentLoop, threading.Thread]]:
    """Start the agents `up` runs; `status` (what /readyz reports) gets why one could not."""
    from brctl.errors import CommandError
    from finance_pack.agents.budgeteer.factory import build_budgeteer
    from finance_pack.agents.cost_watcher.factory import build_agent as build_cost_watcher
    from finance_pack.agents.runtime import AgentLoop
    from finance_pack.errors import FinanceError

    if not bot_token_configured():
        why = f"not started: set {TOKEN_ENV} or {TOKEN_FILE_ENV}"
        status.update({"budgeteer": why, "cost-watcher": why})
        console.print(f"[yellow]budgeteer not started, nor cost-watcher: {why[13:]}[/]")
        return []
    builders: dict[str, Callable[[], Tick]] = {
        "budgeteer": lambda: build_budgeteer(context, engine).tick,
        "cost-watcher": lambda: build_cost_watcher(context, engine, watcher).tick,
    }
    if secret_source(STRIPE_KEY_ENV) is None:
        # Invoicing is optional: without a Stripe key the bot is not expected to run.
        console.print(f"[yellow]invoice-bot not started: set {STRIPE_KEY_ENV}[/]")
    else:
        from finance_pack.agents.invoice_bot.factory import build_invoice_bot  # loads stripe

        builders["invoice-bot"] = lambda: build_invoice_bot(context, engine).tick
    running = []
    for name, build in builders.items():
        try:
            wake = watcher.alerts_queued if name == "cost-watcher" else None
            loop = AgentLoop(name, build(), wake=wake)
        except (CommandError, FinanceError) as exc:
            status[name] = f"could not start: {exc.message}"
            console.print(f"[red]{name} {status[name]}[/]")
            continue
        status[name] = None
        thread = threading.Thread(target=loop.run, name=f"agent-{name}", daemon=True)
        thread.start()
        running.append((loop, thread))
    return running


def up(
    target: TargetOption = None,
    host: Annotated[
        str | None, typer.Option(help="Bind address (default from finance.yaml).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from finance.yaml).")] = None,
    agents: Annotated[
        bool, typer.Option("--agents/--no-agents", help="Also run the agents.")
    ] = True,
) -> None:
    from finance_pack.api.app import create_app
    from finance_pack.api.server import serve

    configure_logging()
    context = open_context(target)
    engine = open_state(context)
    config = context.config
    app = create_app(context, engine)
    # One watcher for the stream endpoint and the agent: one cache of baselines.
    from finance_pack.agents.cost_watcher.factory import build_watcher

    app.state.cost_watcher = build_watcher(context, engine)
    running = (
        _start_agents(context, engine, app.state.cost_watcher, app.state.finance.agents)
        if agents
        else []
    )
    try:
        serve(app, host or config.api.host, port or config.api.port)
    finally:
        for loop, thread in running:
            loop.stop.set()
            thread.join(timeout=30)
