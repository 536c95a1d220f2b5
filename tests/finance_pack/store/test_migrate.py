from __future__ import annotations

from pathlib import Path

import pytest

from finance_pack.errors import UnavailableError, UsageError
from finance_pack.store.engine import make_engine, redact
from finance_pack.store.migrate import current_revision, head_revision, upgrade


def test_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/state/finance.db")
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert upgrade(engine) == (after, after)
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/f.db")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_unreachable_postgres_is_one_clear_error_without_the_password() -> None:
    engine = make_engine("postgresql://finance:hunter2@127.0.0.1:1/finance")
    with pytest.raises(UnavailableError) as info:
        upgrade(engine)
    assert "unreachable" in str(info.value) and "hunter2" not in str(info.value)


def test_unparseable_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid database URL"):
        make_engine("not a url")
    assert "hunter2" not in redact("postgresql://u:hunter2@h/db")


@pytest.mark.postgres
def test_replicas_starting_together_on_postgres_migrate_once(postgres_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engines = [make_engine(postgres_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upgrade, engines))
    heads = {after for _before, after in results}
    assert heads == {head_revision()}
    assert sum(before is None for before, _after in results) == 1


def _upgrade_to(engine: object, revision: str) -> None:
    from alembic import command

    from finance_pack.store.migrate import _config

    with engine.begin() as connection:  # type: ignore[attr-defined]
        command.upgrade(_config(connection), revision)


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_0004_turns_stored_amounts_into_exact_minor_units(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from sqlalchemy import Numeric, String, column, table

    from finance_pack.config import FinanceConfig
    from finance_pack.services.budget_admin import budgets_in_force
    from finance_pack.store.budgets import BrokenBudgetEntry, BudgetEntry
    from finance_pack.store.types import UtcDateTime

    url = (
        f"sqlite:///{tmp_path}/old.db"
        if database == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    _upgrade_to(engine, "0003")
    rows = [("a", "250000.33"), ("b", "12345678.91"), ("c", "100.555"), ("tiny", "0")]
    budgets_0003 = table(  # as 0003 wrote them: Numeric is REAL on SQLite, NUMERIC on PostgreSQL
        "budgets",
        *(column(c, String) for c in ("name", "currency", "scope_json", "thresholds_json")),
        column("amount", Numeric(38, 12)),
        column("updated_at", UtcDateTime()),
        column("updated_by", String),
    )
    with engine.begin() as connection:
        for name, amount in rows:
            connection.execute(
                budgets_0003.insert().values(
                    name=name,
                    amount=Decimal(amount),
                    currency="USD",
                    scope_json="{}",
                    thresholds_json='["80:actual"]',
                    updated_at=datetime(2026, 11, 1, tzinfo=UTC),
                    updated_by="x",
                )
            )
    upgrade(engine)
    entries = {
        (e.budget.name if isinstance(e, BudgetEntry) else e.name): e
        for e in budgets_in_force(engine, FinanceConfig())
    }
    amounts = {
        name: f"{e.budget.amount.amount:f}"
        for name, e in entries.items()
        if isinstance(e, BudgetEntry)
    }
    # 100.555 was shown as USD 100.56; the poison row stays one visible error, not a crash.
    assert amounts == {"a": "250000.33", "b": "12345678.91", "c": "100.56"}
    assert isinstance(entries["tiny"], BrokenBudgetEntry)
    engine.dispose()


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_0008_folds_invoice_history_into_the_audit_log_which_stays_append_only(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import String, bindparam, column, table, text
    from sqlalchemy.exc import DatabaseError

    from finance_pack.access.audit import read_audit, record_audit
    from finance_pack.store.invoices import failed_without_notice
    from finance_pack.store.types import UtcDateTime

    url = (
        f"sqlite:///{tmp_path}/old.db"
        if database == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    _upgrade_to(engine, "0007")
    history_0007 = table(
        "invoice_history",
        *(column(c, String) for c in ("invoice_id", "actor", "from_status", "to_status")),
        column("detail", String),
        column("at", UtcDateTime()),
    )
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        for from_status, to_status, detail in [
            (None, "requested", None),
            ("posted", "paid", "invoice.paid (evt_1)"),
        ]:
            connection.execute(
                history_0007.insert().values(
                    invoice_id="inv_old",
                    actor="agent:invoice-bot",
                    from_status=from_status,
                    to_status=to_status,
                    detail=detail,
                    at=at,
                )
            )
        connection.execute(
            text(
                "INSERT INTO invoices (id, customer_id, amount_minor, currency, description, "
                "days_until_due, requested_by, requested_at, request_fingerprint, stage, status, "
                "updated_at) VALUES ('inv_failed', 'acme', 100, 'USD', 'x', 30, 'user:a@b.c', "
                ":at, 'f', 'failed', 'failed', :at)"
            ).bindparams(bindparam("at", at, type_=UtcDateTime()))
        )
    upgrade(engine)
    assert failed_without_notice(engine) == []  # failed before notices existed: no backlog
    with engine.begin() as connection:
        record_audit(
            connection, "agent:invoice-bot", "invoices.sent", "t", None, None, "agent", at=at
        )
        records = read_audit(connection, subject="invoice:inv_old")
    assert [(r.action, r.before, r.after, r.via) for r in records] == [
        (
            "invoices.paid",
            {"status": "posted"},
            {"status": "paid", "detail": "invoice.paid (evt_1)"},
            "agent",
        )
    ]
    with pytest.raises(DatabaseError), engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with engine.connect() as connection:
        tables = set(engine.dialect.get_table_names(connection))
    assert "invoice_history" not in tables
    engine.dispose()
