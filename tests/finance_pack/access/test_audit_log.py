from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from finance_pack.access.audit import audited_transaction, read_audit, record_audit
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_records_round_trip_with_utc_times_and_json(engine: Engine) -> None:
    with engine.begin() as connection:
        record_audit(
            connection,
            "user:a@example.com",
            "budgets.update",
            "budget:core",
            {"amount": "100.00"},
            {"amount": "120.00"},
            via="api",
            at=T0,
        )
    with engine.connect() as connection:
        [record] = read_audit(connection)
    assert record.at == T0 and record.at.tzinfo is not None
    assert (record.before, record.after, record.via) == (
        {"amount": "100.00"},
        {"amount": "120.00"},
        "api",
    )


def test_since_and_subject_filter(engine: Engine) -> None:
    with engine.begin() as connection:
        for day, actor in enumerate(
            ["user:a@example.com", "user:b@example.com", "user:a@example.com"]
        ):
            record_audit(
                connection,
                actor,
                "x.y",
                "service:bot",
                None,
                {"n": day},
                via="cli",
                at=T0 + timedelta(days=day),
            )
    with engine.connect() as connection:
        since = read_audit(connection, since=T0 + timedelta(days=1))
        by_a = read_audit(connection, subject="user:a@example.com")
        about_bot = read_audit(connection, subject="service:bot")
        newest = read_audit(connection, limit=1)
    assert [r.after["n"] for r in since] == [1, 2]
    assert [r.after["n"] for r in by_a] == [0, 2]
    assert len(about_bot) == 3
    assert [r.after["n"] for r in newest] == [2]


def test_a_failed_change_leaves_no_record(engine: Engine) -> None:
    with (
        pytest.raises(RuntimeError),
        audited_transaction(engine, "user:a@example.com", "x.y", "t", None, {}, via="cli", at=T0),
    ):
        raise RuntimeError("the change failed")
    with engine.connect() as connection:
        assert read_audit(connection) == []


def test_via_must_be_cli_or_api(engine: Engine) -> None:
    with pytest.raises(DatabaseError), engine.begin() as connection:
        record_audit(connection, "user:a@example.com", "x.y", "t", None, None, via="ftp", at=T0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"]
)
def test_the_log_is_append_only(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        record_audit(connection, "user:a@example.com", "x.y", "t", None, None, via="cli", at=T0)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert [r.actor for r in read_audit(connection)] == ["user:a@example.com"]
