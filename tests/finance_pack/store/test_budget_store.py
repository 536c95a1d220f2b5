"""Budgets in the state store, on SQLite and PostgreSQL: exact money, invalid rows isolated,
and an audit trail that chains under concurrent writers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from finance_pack.access.actors import Actor
from finance_pack.access.audit import read_audit
from finance_pack.config import FinanceConfig
from finance_pack.errors import UsageError
from finance_pack.services.budget_admin import BudgetChange, budgets_in_force, set_budget
from finance_pack.store.budgets import BrokenBudgetEntry, BudgetEntry, budgets_version
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
CONFIG = FinanceConfig()
STEWARD = Actor("user:steward@example.com", ("policy-steward",), frozenset(), "test", "api")
# Amounts a budget may hold: whole cents from one cent to the largest stored budget.
CENTS = st.integers(min_value=1, max_value=10**18 - 1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _amounts(engine: Engine) -> dict[str, tuple[str, str]]:
    return {
        e.budget.name: (f"{e.budget.amount.amount:f}", e.budget.amount.currency)
        for e in budgets_in_force(engine, CONFIG)
        if isinstance(e, BudgetEntry)
    }


@pytest.mark.parametrize(
    "amount", ["250000.33", "12345678.91", "9007199254740993", "9999999999999999.99"]
)
def test_the_amounts_of_the_report_read_back_exactly(engine: Engine, amount: str) -> None:
    set_budget(engine, CONFIG, BudgetChange("b", amount, "USD"), STEWARD, NOW)
    assert Decimal(_amounts(engine)["b"][0]) == Decimal(amount)
    assert _amounts(engine)["b"][0] == f"{Decimal(amount).quantize(Decimal('0.01')):f}"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=CENTS, currency=st.sampled_from(["USD", "JPY", "KWD"]))
def test_any_valid_amount_round_trips_exactly(engine: Engine, cents: int, currency: str) -> None:
    exponent = {"USD": 2, "JPY": 0, "KWD": 3}[currency]
    amount = Decimal(cents).scaleb(-exponent)
    config = FinanceConfig(billing_currency=currency)
    set_budget(engine, config, BudgetChange("prop", f"{amount:f}", currency), STEWARD, NOW)
    [entry] = [e for e in budgets_in_force(engine, config) if isinstance(e, BudgetEntry)]
    assert entry.budget.amount.amount == amount
    assert entry.budget.amount.currency == currency


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.0000000000001", "more precise than USD's minor unit"),
        ("100.555", "more precise than USD's minor unit"),
        ("1000000000000000000000000000", "beyond the largest budget"),
    ],
)
def test_too_precise_or_too_large_amounts_are_refused_and_nothing_is_written(
    engine: Engine, amount: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        set_budget(engine, CONFIG, BudgetChange("tiny", amount, "USD"), STEWARD, NOW)
    assert budgets_in_force(engine, CONFIG) == []
    with engine.connect() as connection:
        assert read_audit(connection) == []


def test_a_65_character_name_is_a_usage_error_not_a_database_error(engine: Engine) -> None:
    with pytest.raises(UsageError, match="at most 64"):
        set_budget(engine, CONFIG, BudgetChange("n" * 65, "10", "USD"), STEWARD, NOW)


def test_an_invalid_stored_row_is_reported_alone_and_the_rest_are_read(engine: Engine) -> None:
    set_budget(engine, CONFIG, BudgetChange("good", "100", "USD"), STEWARD, NOW)
    with engine.begin() as connection:  # what a 0.0000000000001 budget used to leave behind
        connection.execute(
            text(
                "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
                " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]', :at, 'x')"
            ),
            {"at": NOW},
        )
    entries = budgets_in_force(engine, CONFIG)
    assert [type(e).__name__ for e in entries] == ["BudgetEntry", "BrokenBudgetEntry"]
    broken = entries[1]
    assert isinstance(broken, BrokenBudgetEntry) and "must be positive" in broken.error
    # Replacing it with a valid budget repairs it; its before-image is the stored row.
    result = set_budget(engine, CONFIG, BudgetChange("tiny", "5", "USD"), STEWARD, NOW)
    assert result.before is not None and result.before["amount_minor"] == "0"
    assert _amounts(engine)["tiny"] == ("5.00", "USD")


def _one_change(engine: Engine, index: int) -> bool:
    name = "shared" if index % 2 == 0 else f"own-{index}"
    change = BudgetChange(name, f"{1000 + index}.{index:02d}", "USD", thresholds=[str(index + 1)])
    return set_budget(engine, CONFIG, change, STEWARD, NOW).created


def test_concurrent_changes_of_one_budget_chain_in_the_audit_log(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        created = list(pool.map(lambda i: _one_change(engine, i), range(20)))
    assert sum(created[0::2]) == 1  # "shared" was created once and updated nine times
    assert all(created[1::2])
    with engine.connect() as connection:
        records = [r for r in read_audit(connection) if r.target == "budget:shared"]
    assert len(records) == 10
    assert records[0].before is None
    for previous, record in itertools.pairwise(records):
        assert record.before == previous.after
    # The last change wins, whichever thread it was: equal as amounts ("1010.10" == "1010.1").
    assert Decimal(_amounts(engine)["shared"][0]) == Decimal(records[-1].after["amount"])


def _version(engine: Engine) -> str:
    with engine.connect() as connection:
        return budgets_version(connection)


def test_the_budgets_version_changes_with_any_stored_row_and_only_then(engine: Engine) -> None:
    empty = _version(engine)
    set_budget(engine, CONFIG, BudgetChange("web", "900.00", "USD"), STEWARD, NOW)
    one = _version(engine)
    assert one != empty
    assert _version(engine) == one  # reading changes nothing
    set_budget(engine, CONFIG, BudgetChange("web", "901.00"), STEWARD, NOW)
    assert _version(engine) not in (empty, one)
    edited = _version(engine)
    with engine.begin() as connection:  # a change made by hand, outside the pack
        connection.execute(text("UPDATE budgets SET scope_json = '{}' WHERE name = 'web'"))
    assert _version(engine) != edited
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM budgets"))
    assert _version(engine) == empty
