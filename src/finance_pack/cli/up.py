"""`brctl finance up`: the API (and, as they land, the dashboard and agents) in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from finance_pack.api.app import create_app
from finance_pack.api.server import serve
from finance_pack.cli.common import TargetOption, open_context, open_state


def up(
    target: TargetOption = None,
    host: Annotated[
        str | None, typer.Option(help="Bind address (default from finance.yaml).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from finance.yaml).")] = None,
) -> None:
    """Serve the API: /healthz, /readyz, /metrics, /openapi.json. SIGTERM stops it cleanly.

    Example: brctl finance up --target=/srv/blackroad --port 8787
    """
    context = open_context(target)
    engine = open_state(context)
    config = context.config
    serve(create_app(context, engine), host or config.api.host, port or config.api.port)
