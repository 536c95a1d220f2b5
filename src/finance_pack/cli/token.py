"""Issue, list and revoke API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from brctl.output import render, to_json
from brctl.roles import load_bindings, parse_subject
from finance_pack.access.actors import ActingAsOption, authorize_cli
from finance_pack.access.durations import parse_duration
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    console,
    now,
    open_context,
    open_state,
)
from finance_pack.services.tokens import create_token, revoke_token_audited, token_list

ROLES_WRITE = "roles:write"

app = typer.Typer(help=__doc__, no_args_is_help=True)


@app.command("create")
def create(
    subject: Annotated[str, typer.Argument(help="user:EMAIL, slack:USER_ID or service:NAME.")],
    expires: Annotated[
        str, typer.Option("--expires", help="Lifetime: 30m, 12h, 90d, 4w (at most 366d).")
    ] = "90d",
    acting_as: ActingAsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Issue an API token for SUBJECT and print it once; only its hash is kept.

    The token grants what SUBJECT's roles grant at the time of each request.

    Example: brctl finance token create service:invoice-requester --expires 90d
    """
    context = open_context(target)
    subject = parse_subject(subject)
    lifetime = parse_duration(expires)
    actor = authorize_cli(context, ROLES_WRITE, acting_as)
    engine = open_state(context)
    at = now()
    issued = create_token(engine, subject, actor, lifetime, at)
    record = issued.record
    if fmt is not OutputFormat.TABLE:
        print(to_json({**record.as_dict(), "token": issued.token}))
        return
    expiry = f"{record.expires_at:%Y-%m-%d %H:%M} UTC"
    console.print(f"token {record.id} for {subject}, expires {expiry}")
    print(issued.token)
    console.print("[yellow]Store it now: it is not shown again.[/]")
    if not load_bindings(context.roles_path, context.manifest).roles_of(subject):
        console.print(
            f"[yellow]{subject} holds no role yet: the token grants nothing until "
            f"you run brctl roles bind {subject} ROLE[/]"
        )


@app.command("list")
def list_cmd(
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    acting_as: ActingAsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List API tokens (ids, subjects, expiry, status); never the tokens themselves.

    Example: brctl finance token list --format json
    """
    context = open_context(target)
    authorize_cli(context, ROLES_WRITE, acting_as)
    engine = open_state(context)
    at = now()
    only = parse_subject(subject) if subject else None
    records = token_list(engine, only)
    rows = [{**r.as_dict(), "status": r.status(at)} for r in records]
    columns = ["id", "subject", "status", "created_at", "expires_at", "revoked_at", "created_by"]
    render(rows, fmt, title="API tokens", columns=columns, empty=_no_tokens(only))


def _no_tokens(subject: str | None) -> str:
    """What to do when there is no token yet: the command that issues one."""
    whose = f" for {subject}" if subject else ""
    example = subject or "service:invoice-requester"
    return (
        f"No API tokens{whose} yet. Create one with: "
        f"brctl finance token create {example} --expires 90d"
    )


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="Token id, as `token list` shows it.")],
    acting_as: ActingAsOption = None,
    target: TargetOption = None,
) -> None:
    """Revoke a token: every request with it is refused from now on.

    Example: brctl finance token revoke 3f9a1c2b7d4e
    """
    context = open_context(target)
    actor = authorize_cli(context, ROLES_WRITE, acting_as)
    token, changed = revoke_token_audited(open_state(context), token_id, actor, now())
    if not changed:
        console.print(f"token {token_id} was already revoked: no changes")
    else:
        console.print(f"[green]revoked token {token_id} of {token.subject}[/]")
