"""Every `brctl finance` command against a table transcribed by hand from DESIGN §6.

A command the CLI offers without a row here fails the coverage test. A command that changes
state either checks a permission (CLI_PERMISSIONS, with arguments that get it past parsing) or is
an operator action on the local install listed in LOCAL_OPERATOR with the reason; read-only
commands are in READ_ONLY.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from finance_pack.cli.app import build_app

Run = Callable[..., tuple[int, str, str]]

# command -> (permission from DESIGN §6, arguments that get it past argument parsing)
CLI_PERMISSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "budget set": ("budgets:write", ("probe", "--amount", "10", "--currency", "USD")),
    "budget delete": ("budgets:write", ("probe",)),
    "budgeteer run-now": ("budgets:write", ()),
    "ingest focus": ("costs:write", ("no-such-file.csv",)),
    "ingest cur": ("costs:write", ("no-such-file.csv",)),
    "ingest aws-ce": ("costs:write", ("--start", "2026-05-01", "--end", "2026-05-02")),
    "token create": ("roles:write", ("service:probe-target",)),
    "token list": ("roles:write", ()),
    "token revoke": ("roles:write", ("tok_missing",)),
    "audit": ("audit:read", ()),
    "alerts list": ("alerts:read", ()),
    "alerts ack": ("alerts:write", ("999",)),
    "alerts silence": (
        "alerts:write",
        ("--scope", "provider=aws", "--until", "2030-01-01T00:00:00"),
    ),
    "invoice create": ("invoices:create", ("--customer", "nobody", "--amount", "1.00")),
    "invoice list": ("invoices:read", ()),
    "invoice show": ("invoices:read", ("inv_missing",)),
    "customer add": ("invoices:create", ("probe", "--name", "Probe Ltd")),
    "customer list": ("invoices:read", ()),
    "customer show": ("invoices:read", ("missing",)),
    # A sign-in link for the acting subject (one for someone else needs roles:write).
    "dashboard-link": ("kpis:read", ()),
}
# Change only the local install, run by whoever can write the deployment directory.
LOCAL_OPERATOR: dict[str, str] = {
    "demo": "a throw-away demo directory",
    "up": "starts the local services",
    "db upgrade": "schema migrations of the local state store",
    "agent run": "runs an agent process (its posts are the agent's, not a person's)",
    "sandbox slack": "a local emulator",
    "sandbox aws": "a local emulator",
    "sandbox stripe": "a local emulator",
}
READ_ONLY = {
    "doctor",
    "kpi",
    "slo",
    "costs",
    "budget list",
    "forecast backtest",
    "anomalies backtest",
    "db status",
}

NO_ROLE = "(no role)"
ROLE_GRANTS: dict[str, frozenset[str]] = {
    "growth-catalyst": frozenset(
        {"invoices:create", "invoices:read", "kpis:read", "budgets:read", "costs:read", "slo:read"}
    ),
    "policy-steward": frozenset(
        {
            "invoices:read",
            "kpis:read",
            "budgets:read",
            "budgets:write",
            "costs:read",
            "costs:write",
            "alerts:read",
            "alerts:write",
            "detectors:write",
            "slo:read",
            "roles:write",
            "audit:read",
        }
    ),
    NO_ROLE: frozenset(),
}
SUBJECT = "user:probe@example.com"


def _commands(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every leaf command, through Click's own contract (a lazy group loads each on request)."""
    if not hasattr(command, "list_commands"):
        yield " ".join(prefix)
        return
    context = typer.Context(command)
    for name in command.list_commands(context):
        yield from _commands(command.get_command(context, name), (*prefix, name))


def test_every_command_has_a_row() -> None:
    offered = set(_commands(typer.main.get_group(build_app())))
    listed = set(CLI_PERMISSIONS) | set(LOCAL_OPERATOR) | READ_ONLY
    missing = sorted(offered - listed)
    assert not missing, f"commands without a row in {__file__}: {missing}"
    assert not sorted(listed - offered), (
        f"rows for commands that no longer exist: {listed - offered}"
    )


@pytest.mark.parametrize("role", sorted(ROLE_GRANTS))
def test_every_command_admits_exactly_the_roles_design_grants_it(
    brctl: Run, installed_target: Path, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(installed_target)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # refused: nothing leaves
    if role != NO_ROLE:
        brctl("roles", "bind", SUBJECT, role)
    failures = []
    for command, (permission, args) in sorted(CLI_PERMISSIONS.items()):
        code, _out, err = brctl("finance", *command.split(), *args, "--as", SUBJECT)
        ok = code != 3 if permission in ROLE_GRANTS[role] else code == 3 and permission in err
        if not ok:
            expected = "allowed" if permission in ROLE_GRANTS[role] else f"denied {permission}"
            failures.append(f"{role} {command}: expected {expected}, got {code} {err[-200:]}")
    assert not failures, "\n".join(failures)
