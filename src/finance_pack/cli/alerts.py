"""Cost anomaly incidents: list, acknowledge, silence."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from brctl.output import render
from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.agents.cost_watcher.admin import (
    INCIDENT_COLUMNS,
    acknowledge_incident,
    incident_row,
    list_silences,
    parse_scope,
    silence_scope,
)
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    console,
    now,
    open_context,
    open_state,
)
from finance_pack.errors import UsageError
from finance_pack.store import alerts as store

app = typer.Typer(help=__doc__, no_args_is_help=True)


NO_SILENCES = (
    "No silences in force. Silence a scope with: brctl finance alerts silence "
    "--scope provider=aws --until 2026-12-24T00:00Z --reason 'planned load test'"
)


class IncidentState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@app.command("list")
def list_cmd(
    state: Annotated[
        IncidentState | None, typer.Option(help="open or resolved (default both).")
    ] = None,
    silences: Annotated[
        bool, typer.Option("--silences", help="List silences in force instead.")
    ] = False,
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List incidents, newest first (needs alerts:read).

    Example: brctl finance alerts list --state open --format json
    """
    context = open_context(target)
    authorize_cli(context, "alerts:read", acting_as)
    engine = open_state(context)
    if silences:
        rows = [s.as_dict() for s in list_silences(engine, now())]
        render(rows, fmt, title="Silences", columns=store.SILENCE_COLUMNS, empty=NO_SILENCES)
        return
    incidents = [incident_row(s) for s in store.list_incidents(engine, state=state and state.value)]
    empty = f"No {state.value + ' ' if state else ''}incidents."
    render(incidents, fmt, title="Incidents", columns=INCIDENT_COLUMNS, empty=empty)


@app.command("ack")
def ack_cmd(
    incident: Annotated[int, typer.Argument(help="Incident number (see alerts list).")],
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Acknowledge an incident (needs alerts:write; audited).

    Example: brctl finance alerts ack 12
    """
    context = open_context(target)
    actor = authorize_cli(context, "alerts:write", acting_as)
    acknowledge_incident(open_state(context), incident, actor, now())
    console.print(f"[green]incident {incident} acknowledged[/] by {actor.subject}")


def _until(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--until {text!r}: expected an ISO 8601 time such as 2026-12-24T00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.command("silence")
def silence_cmd(
    scope: Annotated[
        list[str], typer.Option("--scope", help="NAME=VALUE, repeatable (provider=aws).")
    ],
    until: Annotated[str, typer.Option("--until", help="ISO 8601 time; UTC when naive.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit log.")] = "",
    target: TargetOption = None,
    acting_as: ActingAsOption = None,
) -> None:
    """Silence a scope until a time (needs alerts:write; audited): incidents in it are
    recorded, not posted.

    Example: brctl finance alerts silence --scope provider=aws --scope account=111122223333
    --until 2026-12-24T00:00Z --reason "planned load test"
    """
    pairs: dict[str, str] = {}
    for item in scope:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--scope {item!r}: expected NAME=VALUE")
        pairs[name] = value
    context = open_context(target)
    actor = authorize_cli(context, "alerts:write", acting_as)
    key = parse_scope(pairs, tuple(context.config.watcher.dimensions))
    silence = silence_scope(open_state(context), key, _until(until), reason, actor, now())
    console.print(
        f"[green]silenced {key}[/] until {silence.until:%Y-%m-%d %H:%M} UTC (#{silence.id})"
    )
