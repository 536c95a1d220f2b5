"""`brctl finance`: the pack's command tree, one module per command or group.

Each module is imported only when the command line reaches it (see `brctl.lazy`): `brctl finance
--help` reads the modules' docstrings, `brctl finance budget list` imports `cli.budget` alone.
"""

from __future__ import annotations

import typer

from brctl.lazy import LazyCommand, lazy_group
from finance_pack import DESCRIPTION

# In the order `--help` lists them: the commands, then the groups.
COMMANDS = (
    LazyCommand("demo", "finance_pack.cli.demo:demo"),
    LazyCommand("up", "finance_pack.cli.up:up"),
    LazyCommand("doctor", "finance_pack.cli.doctor:doctor"),
    LazyCommand("kpi", "finance_pack.cli.kpi:kpi"),
    LazyCommand("slo", "finance_pack.cli.slo:slo"),
    LazyCommand("audit", "finance_pack.cli.audit:audit"),
    LazyCommand("costs", "finance_pack.cli.costs:costs"),
    LazyCommand("dashboard-link", "finance_pack.cli.dashboard:dashboard_link"),
    LazyCommand("budget", "finance_pack.cli.budget:app"),
    LazyCommand("forecast", "finance_pack.cli.forecast:app"),
    LazyCommand("ingest", "finance_pack.cli.ingest:app"),
    LazyCommand("budgeteer", "finance_pack.cli.budgeteer:app"),
    LazyCommand("agent", "finance_pack.cli.agent:app"),
    LazyCommand("db", "finance_pack.cli.db:app"),
    LazyCommand("token", "finance_pack.cli.token:app"),
    LazyCommand("sandbox", "finance_pack.cli.sandbox:app"),
    LazyCommand("alerts", "finance_pack.cli.alerts:app"),
    LazyCommand("anomalies", "finance_pack.cli.anomalies:app"),
    LazyCommand("invoice", "finance_pack.cli.invoice:app"),
    LazyCommand("customer", "finance_pack.cli.customer:app"),
)


def build_app() -> typer.Typer:
    return typer.Typer(
        cls=lazy_group(COMMANDS),
        help=f"{DESCRIPTION}\n\nExample: brctl finance doctor --target=/srv/blackroad",
        no_args_is_help=True,
    )
