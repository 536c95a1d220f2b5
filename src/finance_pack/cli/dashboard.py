"""Print a sign-in link to the dashboard: it works once and expires in ten minutes.

A link for yourself needs no permission beyond your roles; a link for someone else is
issuing them a credential and needs roles:write. The link is audited.

Example: brctl finance dashboard-link --as user:pat@example.com --url http://127.0.0.1:8787
"""

from __future__ import annotations

from typing import Annotated

import typer

from brctl.output import render
from brctl.roles import parse_subject
from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    console,
    now,
    open_context,
    open_state,
)

ROLES_WRITE = "roles:write"


def dashboard_link(
    subject: Annotated[
        str | None,
        typer.Argument(help="Who signs in (default: the acting subject, --as)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="The dashboard's base URL (default: finance.yaml api host:port)."
        ),
    ] = None,
    acting_as: ActingAsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    from finance_pack.services.signin import issue_signin_link  # FastAPI: only when used

    context = open_context(target)
    config = context.config
    actor = authorize_cli(context, "kpis:read" if subject is None else ROLES_WRITE, acting_as)
    who = parse_subject(subject) if subject is not None else actor.subject
    host = "127.0.0.1" if config.api.host in ("0.0.0.0", "::", "") else config.api.host
    base = url or f"http://{host}:{config.api.port}"
    link = issue_signin_link(open_state(context), who, actor, base, now())
    if fmt is OutputFormat.TABLE:
        console.print(f"Sign-in link for {who} (works once, expires {link.expires_at:%H:%M} UTC):")
        console.print(link.url, markup=False, highlight=False, soft_wrap=True)
        return
    row = {"subject": who, "url": link.url, "expires_at": link.expires_at.isoformat()}
    render([row], fmt)
