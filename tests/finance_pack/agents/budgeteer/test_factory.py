"""The Budgeteer wired to an installed pack: an invalid stored budget does not stop its ticks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from finance_pack.agents.budgeteer.factory import build_budgeteer
from finance_pack.context import load_context
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import BudgetFailure
from finance_pack.providers.slack import SlackSettings, SlackWebGateway
from finance_pack.sandbox.seed_spend import write_focus_csv
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Run = Callable[..., tuple[int, str, str]]


def test_snapshots_name_an_invalid_stored_budget_and_compute_the_rest(
    brctl: Run, installed_target: Path, tmp_path: Path, slack_emulator: RunningSlackEmulator
) -> None:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2026, 9, 1), date(2026, 10, 20))
    assert brctl("finance", "ingest", "focus", str(export))[0] == 0
    context = load_context(installed_target)
    engine = make_engine(context.state_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
                " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]',"
                " CURRENT_TIMESTAMP, 'x')"
            )
        )
    gateway = SlackWebGateway(
        SlackSettings(token=slack_emulator.token, base_url=slack_emulator.api_url)
    )
    budgeteer = build_budgeteer(context, engine, gateway)
    items = budgeteer.snapshots(datetime(2026, 10, 21, tzinfo=UTC), False)
    assert {type(i).__name__: getattr(i, "budget", None) for i in items} == {
        "BudgetSnapshot": None,
        "BudgetFailure": "tiny",
    }
    [computed] = [i for i in items if isinstance(i, BudgetSnapshot)]
    assert computed.report.budget == "total"
    assert all(isinstance(i, BudgetSnapshot | BudgetFailure) for i in items)
    engine.dispose()
