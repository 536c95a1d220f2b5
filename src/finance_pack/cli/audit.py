"""Show who changed what, when (UTC), before and after, via cli or api.

Example: brctl finance audit --since 7d --subject user:alice@example.com --format json
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer

from brctl.output import render
from brctl.roles import parse_subject
from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.access.audit import read_audit
from finance_pack.access.durations import parse_duration
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    now,
    open_context,
    open_state,
)
from finance_pack.domain.instants import as_utc
from finance_pack.errors import UsageError


def parse_since(text: str, now: datetime) -> datetime:
    """`7d` (ago), `2026-11-01` (UTC midnight) or an ISO time (UTC when it has no offset)."""
    try:
        return now - parse_duration(text)
    except UsageError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"not a time or a duration: {text!r}", hint="use 7d, 24h, 2026-11-01 or an ISO time"
        ) from None
    if len(text) == len("2026-11-01"):
        parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
    return as_utc(parsed)


def audit_cell(value: object) -> str:
    """The before or after image for the table, in full (a cut image hides the change);
    compact JSON, so the table folds it rather than dropping any of it."""
    if isinstance(value, dict) and set(value) == {"roles"}:
        return ", ".join(map(str, value["roles"])) or "no role"
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit(
    since: Annotated[
        str | None, typer.Option("--since", help="7d, 24h, 2026-11-01 or an ISO time.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only records by or about this subject.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest N records.")] = 200,
    acting_as: ActingAsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    context = open_context(target)
    start = parse_since(since, now()) if since else None
    who = parse_subject(subject) if subject else None
    authorize_cli(context, "audit:read", acting_as)
    engine = open_state(context)
    with engine.connect() as connection:
        records = read_audit(connection, since=start, subject=who, limit=limit)
    rows = [r.as_dict() for r in records]
    if fmt is OutputFormat.TABLE:
        rows = [
            {
                **row,
                "at": row["at"][:19],
                "before": audit_cell(row["before"]),
                "after": audit_cell(row["after"]),
            }
            for row in rows
        ]
    columns = ["at", "actor", "via", "action", "target", "before", "after"]
    render(rows, fmt, title="Audit log", columns=columns)
