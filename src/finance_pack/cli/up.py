"""`brctl finance up`: the API and the agents in one process (production: a process per agent)."""

from __future__ import annotations

import logging
import threading
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

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from finance_pack.agents.runtime import AgentLoop
    from finance_pack.context import PackContext

log = logging.getLogger(__name__)


def _start_agents(
    context: PackContext, engine: Engine, status: dict[str, str | None]
) -> list[tuple[AgentLoop, threading.Thread]]:
    """Start the agents `up` runs; `status` (what /readyz reports) gets why one could not."""
    from brctl.errors import CommandError
    from finance_pack.agents.budgeteer.factory import build_budgeteer
    from finance_pack.agents.runtime import AgentLoop
    from finance_pack.errors import FinanceError

    if not bot_token_configured():
        status["budgeteer"] = f"not started: set {TOKEN_ENV} or {TOKEN_FILE_ENV}"
        console.print(f"[yellow]budgeteer {status['budgeteer']} (or run up --no-agents)[/]")
        return []
    try:
        loop = AgentLoop("budgeteer", build_budgeteer(context, engine).tick)
    except (CommandError, FinanceError) as exc:
        status["budgeteer"] = f"could not start: {exc.message}"
        console.print(f"[red]budgeteer {status['budgeteer']}[/]")
        return []
    status["budgeteer"] = None
    thread = threading.Thread(target=loop.run, name="agent-budgeteer", daemon=True)
    thread.start()
    return [(loop, thread)]


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
    from finance_pack.api.app import create_app
    from finance_pack.api.server import serve

    configure_logging()
    context = open_context(target)
    engine = open_state(context)
    config = context.config
    app = create_app(context, engine)
    running = _start_agents(context, engine, app.state.finance.agents) if agents else []
    try:
        serve(app, host or config.api.host, port or config.api.port)
    finally:
        for loop, thread in running:
            loop.stop.set()
            thread.join(timeout=30)
