"""Options and openers every `brctl finance` command shares."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from brctl.options import TargetOption
from brctl.output import OutputFormat
from finance_pack.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from finance_pack.context import PackContext

__all__ = [
    "FormatOption",
    "OutputFormat",
    "TargetOption",
    "configure_logging",
    "console",
    "err_console",
    "now",
    "open_context",
    "open_state",
]

# emoji=False everywhere: Slack shortcodes (`:red_circle:`) print as the text they are, the same
# in a table, in JSON and in the demo, instead of becoming emoji in some outputs only.
console = Console(soft_wrap=True, emoji=False)
# Notes beside the output (stderr), so scripts reading stdout never see them.
err_console = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)

# The one clock of every command; a test or a simulation sets `finance_pack.cli.common.clock`.
clock: Clock = SYSTEM_CLOCK


def now() -> datetime:
    """The time of the command's clock, timezone-aware UTC."""
    return clock.now()


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="Output as a table, JSON or CSV.")
]


def configure_logging() -> None:
    """Log lines for long-running commands (up, agents): time, level, where, what."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The automatic schema upgrade on start is not news; `brctl finance db upgrade` reports it.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def open_context(target: Path | None) -> PackContext:
    """The installed pack, with its config validated up front so every command fails fast."""
    from finance_pack.context import load_context

    context = load_context(target)
    _ = context.config
    return context


def open_state(context: PackContext) -> Engine:
    """The state store, migrated to the newest schema (automatic upgrade on start)."""
    from finance_pack.store.engine import make_engine
    from finance_pack.store.revisions import upgrade_if_behind

    engine = make_engine(context.state_db_url)
    upgrade_if_behind(engine)
    return engine
