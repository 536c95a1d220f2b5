"""`brctl finance up`: the API and the agents in one process (production: a process per agent)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import typer
from sqlalchemy import Engine

from finance_pack.agents.budgeteer.factory import build_budgeteer
from finance_pack.agents.cost_watcher.factory import build_agent as build_cost_watcher_agent
from finance_pack.agents.cost_watcher.factory import build_watcher
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.agents.runtime import AgentLoop
from finance_pack.api.app import create_app
from finance_pack.api.server import serve
from finance_pack.cli.common import (
    TargetOption,
    configure_logging,
    console,
    open_context,
    open_state,
)
from finance_pack.context import PackContext
from finance_pack.providers.slack.settings import TOKEN_ENV, TOKEN_FILE_ENV, bot_token_configured
from finance_pack.providers.stripe.settings import API_KEY_ENV as STRIPE_KEY_ENV
from finance_pack.secrets import secret_source

log = logging.getLogger(__name__)


def _start_agents(
    context: PackContext, engine: Engine, watcher: CostWatcher
) -> list[tuple[AgentLoop, threading.Thread]]:
    if not bot_token_configured():
        console.print(
            "[yellow]budgeteer not started, nor cost-watcher: "
            f"set {TOKEN_ENV} or {TOKEN_FILE_ENV}[/]"
        )
        return []
    loops = [
        AgentLoop("budgeteer", build_budgeteer(context, engine).tick),
        AgentLoop("cost-watcher", build_cost_watcher_agent(context, engine, watcher).tick),
    ]
    from finance_pack.agents.invoice_bot.factory import build_invoice_bot  # loads stripe

    if secret_source(STRIPE_KEY_ENV) is None:
        console.print(f"[yellow]invoice-bot not started: set {STRIPE_KEY_ENV}[/]")
    else:
        loops.append(AgentLoop("invoice-bot", build_invoice_bot(context, engine).tick))
    running = []
    for loop in loops:
        thread = threading.Thread(target=loop.run, name=f"agent-{loop.name}", daemon=True)
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
    """Serve the API (/healthz, /readyz, /metrics, /openapi.json, /v1/...) and run the agents.
    SIGTERM stops everything cleanly with exit status 0.

    Example: brctl finance up --target=/srv/blackroad --port 8787
    """
    configure_logging()
    context = open_context(target)
    engine = open_state(context)
    config = context.config
    app = create_app(context, engine)
    # One watcher for the stream endpoint and the agent: one cache of baselines.
    app.state.cost_watcher = build_watcher(context, engine)
    running = _start_agents(context, engine, app.state.cost_watcher) if agents else []
    try:
        serve(app, host or config.api.host, port or config.api.port)
    finally:
        for loop, thread in running:
            loop.stop.set()
            thread.join(timeout=30)
