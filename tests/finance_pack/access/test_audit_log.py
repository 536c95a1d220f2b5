from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from finance_pack.access.actors import Actor
from finance_pack.access.audit import (
    AuditRecord,
    audited_transaction,
    read_audit,
    record_audit,
    revoke_token_audited,
)
from finance_pack.access.tokens import issue_token, list_tokens
from finance_pack.errors import NotFoundError
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


STEWARD = Actor(
    "user:steward@example.com",
    ("policy_steward",),
    frozenset({"tokens:write"}),
    "role policy_steward",
    via="api",
)


def test_an_actor_is_recorded_by_its_subject(engine: Engine) -> None:
    with engine.begin() as connection:
        record_audit(connection, STEWARD, "x.y", "t", None, None, via="api", at=T0)
    with engine.connect() as connection:
        [record] = read_audit(connection)
    assert (record.actor, record.action, record.target, record.via) == (
        "user:steward@example.com",
        "x.y",
        "t",
        "api",
    )
    assert (record.before, record.after) == (None, None)


def test_a_naive_time_is_refused_before_anything_is_written(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware UTC"), engine.begin() as connection:
        record_audit(
            connection,
            "user:a@example.com",
            "x.y",
            "t",
            None,
            None,
            via="cli",
            at=datetime(2026, 11, 1),
        )
    with engine.connect() as connection:
        assert read_audit(connection) == []


def test_decimals_and_times_in_before_and_after_are_kept_as_text(engine: Engine) -> None:
    with engine.begin() as connection:
        record_audit(
            connection,
            "user:a@example.com",
            "budgets.update",
            "budget:core",
            {"at": T0, "amount": Decimal("100.10")},  # stored with its keys sorted
            {"amount": Decimal("120.00")},
            via="cli",
            at=T0,
        )
        stored = connection.execute(text("SELECT before_json FROM audit_log")).scalar()
    assert stored == '{"amount": "100.10", "at": "2026-11-01 00:00:00+00:00"}'


def test_a_time_in_another_zone_is_stored_as_its_utc_instant(engine: Engine) -> None:
    plus_two = datetime(2026, 11, 1, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as connection:
        record_audit(
            connection, "user:a@example.com", "x.y", "t", None, None, via="cli", at=plus_two
        )
    with engine.connect() as connection:
        [record] = read_audit(connection)
        since_same_instant = read_audit(connection, since=datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    assert record.at == datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    assert record.at.utcoffset() == timedelta(0)
    assert len(since_same_instant) == 1


def _three_records(engine: Engine) -> None:
    with engine.begin() as connection:
        for n in range(3):
            record_audit(
                connection, f"user:{n}@example.com", "x.y", "t", None, {"n": n}, via="cli", at=T0
            )


def test_a_limit_keeps_the_newest_records_oldest_first(engine: Engine) -> None:
    _three_records(engine)
    with engine.connect() as connection:
        newest_two = read_audit(connection, limit=2)
        everything = read_audit(connection, limit=10)
    assert [r.after["n"] for r in newest_two] == [1, 2]
    assert [r.id for r in everything] == [1, 2, 3]


def test_a_record_as_dict_spells_every_field() -> None:
    record = AuditRecord(7, T0, "user:a@example.com", "x.y", "t", {"a": 1}, None, "cli")
    assert record.as_dict() == {
        "id": 7,
        "at": "2026-11-01T00:00:00+00:00",
        "actor": "user:a@example.com",
        "action": "x.y",
        "target": "t",
        "before": {"a": 1},
        "after": None,
        "via": "cli",
    }


def test_revoking_a_token_records_it_once(engine: Engine) -> None:
    with engine.begin() as connection:
        issued = issue_token(connection, "service:bot", "local:op", T0, timedelta(days=1))
    token_id = issued.record.id
    later = T0 + timedelta(hours=1)
    token, changed = revoke_token_audited(engine, token_id, STEWARD, later)
    assert (token.revoked_at, changed) == (later, True)
    again, changed_again = revoke_token_audited(
        engine, token_id, STEWARD, later + timedelta(hours=1)
    )
    assert (again.revoked_at, changed_again) == (later, False)
    with engine.connect() as connection:
        [record] = read_audit(connection)
        assert list_tokens(connection)[0].revoked_at == later
    assert (record.actor, record.action, record.target, record.via, record.at) == (
        "user:steward@example.com",
        "token.revoke",
        f"token:{token_id}",
        "api",
        later,
    )
    assert (record.before["revoked_at"], record.after["revoked_at"]) == (
        None,
        "2026-11-01T01:00:00+00:00",
    )
    assert record.after["subject"] == "service:bot"


def test_revoking_an_unknown_token_records_nothing(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        revoke_token_audited(engine, "000000000000", STEWARD, T0)
    with engine.connect() as connection:
        assert read_audit(connection) == []
