"""`brctl finance budget ...` and `kpi` with real-world and hostile input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from finance_pack.cli.audit import audit_cell
from finance_pack.context import load_context
from finance_pack.sandbox.seed_spend import write_focus_csv
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Run = Callable[..., tuple[int, str, str]]


def _budgets(brctl: Run) -> dict[str, dict[str, object]]:
    code, out, err = brctl("finance", "budget", "list", "--format", "json")
    assert code == 0, err
    return {row["name"]: row for row in json.loads(out)}


def _insert_poison_row(target: Path) -> None:
    """What `PUT /v1/budgets/tiny {"amount": "0.0000000000001"}` used to leave behind."""
    engine = make_engine(load_context(target).state_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
                " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]',"
                " CURRENT_TIMESTAMP, 'x')"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_target(
    request: pytest.FixtureRequest, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    if request.param == "postgres":
        monkeypatch.setenv("FINANCE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return installed_target


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=st.integers(min_value=1, max_value=10**18 - 1))
def test_any_amount_in_cents_round_trips_through_the_cli(
    brctl: Run, any_db_target: Path, cents: int
) -> None:
    amount = f"{Decimal(cents).scaleb(-2):f}"
    code, _, err = brctl(
        "finance", "budget", "set", "prop", "--amount", amount, "--currency", "USD"
    )
    assert code == 0, err
    assert Decimal(str(_budgets(brctl)["prop"]["amount"])) == Decimal(amount)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "10", "--threshold", "NaN"], "finite"),
        (["--amount", "10", "--threshold", "sNaN"], "finite"),
        (["--amount", "10", "--threshold", "inf:forecast"], "finite"),
        (["--amount", "NaN"], "finite"),
        (["--amount", "sNaN"], "finite"),
        (["--amount", "-Infinity"], "finite"),
        (["--amount", "100.555"], "more precise than USD's minor unit"),
        (["--amount", "0.0000000000001"], "more precise than USD's minor unit"),
    ],
)
def test_non_finite_and_too_precise_numbers_exit_2_without_a_traceback(
    brctl: Run, installed_target: Path, args: list[str], message: str
) -> None:
    code, _, err = brctl("finance", "budget", "set", "b1", "--currency", "USD", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert "b1" not in _budgets(brctl)


@pytest.mark.parametrize("length", [65, 1000, 100_000])
def test_long_names_exit_2_naming_the_limit(
    brctl: Run, installed_target: Path, length: int
) -> None:
    code, _, err = brctl(
        "finance", "budget", "set", "n" * length, "--amount", "1", "--currency", "USD"
    )
    assert code == 2 and "at most 64" in err and len(err) < 1000


def test_a_fullwidth_name_is_the_same_budget(brctl: Run, installed_target: Path) -> None:
    code, out, _ = brctl("finance", "budget", "set", "ｔｏｔａｌ", "--amount", "5")
    assert code == 0 and "updated budget total" in out
    assert set(_budgets(brctl)) == {"total"}


def test_overriding_a_finance_yaml_budget_keeps_what_is_not_given_and_says_what_changed(
    brctl: Run, installed_target: Path
) -> None:
    declared = _budgets(brctl)["total"]
    code, out, err = brctl("finance", "budget", "set", "total", "--amount", "12000.50")
    assert code == 0, err
    assert "amount 10000 → 12000.5" in out and "kept currency, scope, thresholds" in out
    now = _budgets(brctl)["total"]
    assert (
        now["thresholds"]
        == declared["thresholds"]
        == [
            "50:actual",
            "80:actual",
            "100:actual",
            "100:forecast",
        ]
    )
    assert now["amount"] == "12000.5" and now["source"] == "managed (overrides finance.yaml)"


def test_a_budget_without_thresholds_gets_a_warning(brctl: Run, installed_target: Path) -> None:
    code, _, err = brctl("finance", "budget", "set", "quiet", "--amount", "5", "--currency", "USD")
    assert code == 0 and "no thresholds: it will never alert" in err
    code, _, err = brctl("finance", "budget", "set", "total", "--no-thresholds")
    assert code == 0 and "never alert" in err
    assert _budgets(brctl)["total"]["thresholds"] == []


def test_a_new_budget_needs_amount_and_currency(brctl: Run, installed_target: Path) -> None:
    code, _, err = brctl("finance", "budget", "set", "fresh", "--threshold", "80")
    assert code == 2 and "give its amount and currency" in err


def test_the_audit_carries_before_and_after_in_full(brctl: Run, installed_target: Path) -> None:
    brctl("finance", "budget", "set", "total", "--amount", "12000.50", "--tag", "team=platform")
    _code, out, _ = brctl("finance", "audit", "--format", "json")
    [record] = [r for r in json.loads(out) if r["action"] == "budgets.set"]
    assert record["before"] == {
        "name": "total",
        "amount": "10000",
        "currency": "USD",
        "scope": {"accounts": [], "providers": [], "regions": [], "services": [], "tags": {}},
        "thresholds": ["50:actual", "80:actual", "100:actual", "100:forecast"],
    }
    assert record["after"]["amount"] == "12000.5"
    assert record["after"]["scope"]["tags"] == {"team": ["platform"]}
    # The table cell is the whole image, not a cut one.
    assert json.loads(audit_cell(record["before"])) == record["before"]
    assert json.loads(audit_cell(record["after"])) == record["after"]


def test_a_poison_row_is_listed_with_its_error_and_can_be_deleted(
    brctl: Run, installed_target: Path
) -> None:
    _insert_poison_row(installed_target)
    rows = _budgets(brctl)
    assert rows["total"]["amount"] == "10000" and "must be positive" in str(rows["tiny"]["error"])
    code, out, err = brctl("finance", "budget", "list")
    assert code == 0 and "tiny" in out and "invalid" in err
    code, out, err = brctl("finance", "budget", "delete", "tiny")
    assert code == 0 and "deleted budget tiny" in out, err
    assert set(_budgets(brctl)) == {"total"}


def test_kpi_reports_the_other_budgets_beside_a_poison_row(
    brctl: Run, installed_target: Path, tmp_path: Path
) -> None:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2026, 9, 1), date(2026, 10, 20))
    assert brctl("finance", "ingest", "focus", str(export))[0] == 0
    _insert_poison_row(installed_target)
    code, out, err = brctl("finance", "kpi", "--format", "json")
    assert code == 0, err
    rows = {r["budget"]: r for r in json.loads(out)}
    assert rows["total"]["status"] in {"ok", "stale", "warning", "exceeded"}
    assert rows["total"]["mtd_spend"] is not None
    assert rows["tiny"]["status"] == "error" and "must be positive" in rows["tiny"]["error"]
    code, out, _ = brctl("finance", "kpi")
    assert code == 0 and "error" in out and "total" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--amount", "0"], "error: budget bad2: amount must be positive, got 0 USD"),
        (
            ["--amount", "10", "--threshold", "80", "--threshold", "80"],
            "error: budget bad2: duplicated threshold",
        ),
    ],
)
def test_an_error_names_its_budget_once(
    brctl: Run, installed_target: Path, args: list[str], expected: str
) -> None:
    code, _, err = brctl("finance", "budget", "set", "bad2", "--currency", "USD", *args)
    assert code == 2
    assert err.strip() == expected


def test_a_poison_row_error_names_its_budget_once(brctl: Run, installed_target: Path) -> None:
    _insert_poison_row(installed_target)
    assert _budgets(brctl)["tiny"]["error"] == (
        "stored budget 'tiny' is invalid: amount must be positive, got 0.00 USD"
    )
