from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from finance_pack.access.durations import parse_duration
from finance_pack.access.tokens import (
    InvalidTokenError,
    issue_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from finance_pack.errors import NotFoundError, UsageError
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _issue(engine: Engine, lifetime: timedelta = timedelta(days=90)) -> str:
    with engine.begin() as connection:
        return issue_token(connection, "user:alice@example.com", "local:op", NOW, lifetime).token


def test_a_fresh_token_verifies_to_its_subject(engine: Engine) -> None:
    token = _issue(engine)
    assert token.startswith("brf_")
    with engine.connect() as connection:
        record = verify_token(connection, token, NOW + timedelta(days=1))
    assert record.subject == "user:alice@example.com"
    assert record.expires_at == NOW + timedelta(days=90)


def test_the_issued_token_is_hidden_from_its_repr(engine: Engine) -> None:
    with engine.begin() as connection:
        issued = issue_token(connection, "service:bot", "local:op", NOW, timedelta(days=1))
    assert issued.token not in repr(issued)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # secret changed
        lambda t: t.replace("brf_", "brf_0", 1),  # id changed
        lambda t: t.rsplit("_", 1)[0],  # secret dropped
        lambda t: "xyz_" + t[4:],  # prefix changed
        lambda t: "",
    ],
)
def test_a_tampered_token_is_invalid(engine: Engine, tamper) -> None:  # type: ignore[no-untyped-def]
    token = _issue(engine)
    with (
        engine.connect() as connection,
        pytest.raises(InvalidTokenError, match=r"invalid|malformed"),
    ):
        verify_token(connection, tamper(token), NOW)


def test_an_expired_token_is_invalid(engine: Engine) -> None:
    token = _issue(engine, timedelta(hours=1))
    with engine.connect() as connection, pytest.raises(InvalidTokenError, match="expired"):
        verify_token(connection, token, NOW + timedelta(hours=1))


def test_a_revoked_token_is_invalid_and_revoking_twice_changes_nothing(engine: Engine) -> None:
    token = _issue(engine)
    [record] = list_tokens(engine.connect())
    with engine.begin() as connection:
        assert revoke_token(connection, record.id, NOW) is not None
        assert revoke_token(connection, record.id, NOW) is None
    with engine.connect() as connection, pytest.raises(InvalidTokenError, match="revoked"):
        verify_token(connection, token, NOW)
    assert list_tokens(engine.connect())[0].status(NOW) == "revoked"


def test_revoking_an_unknown_id_is_not_found(engine: Engine) -> None:
    with engine.begin() as connection, pytest.raises(NotFoundError):
        revoke_token(connection, "000000000000", NOW)


def test_lifetimes_are_bounded(engine: Engine) -> None:
    with engine.begin() as connection, pytest.raises(UsageError):
        issue_token(connection, "service:bot", "local:op", NOW, timedelta(days=400))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("4w", timedelta(weeks=4)),
        ("30m", timedelta(minutes=30)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0d", "90", "d", "1y", "-3d", "1.5d"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)
