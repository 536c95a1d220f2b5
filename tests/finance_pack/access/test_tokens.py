from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from finance_pack.access.durations import parse_duration
from finance_pack.access.tokens import (
    InvalidTokenError,
    TokenRecord,
    get_token,
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


def test_an_issued_token_is_stored_with_who_made_it_and_when(engine: Engine) -> None:
    with engine.begin() as connection:
        issued = issue_token(connection, "service:bot", "local:op", NOW, timedelta(days=2))
    with engine.connect() as connection:
        [record] = list_tokens(connection)
    assert record == issued.record
    assert (record.subject, record.created_by, record.created_at, record.expires_at) == (
        "service:bot",
        "local:op",
        NOW,
        NOW + timedelta(days=2),
    )
    assert record.revoked_at is None
    prefix, token_id, secret = issued.token.split("_", 2)
    assert (prefix, token_id, len(token_id)) == ("brf", record.id, 12)
    assert len(secret) >= 40


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(seconds=-1), timedelta(days=366, seconds=1)]
)
def test_a_lifetime_outside_the_bounds_is_refused_with_them_named(
    engine: Engine, lifetime: timedelta
) -> None:
    with (
        engine.begin() as connection,
        pytest.raises(UsageError, match=r"^a token lives between 1 minute and 366 days$"),
    ):
        issue_token(connection, "service:bot", "local:op", NOW, lifetime)


def test_the_longest_lifetime_is_allowed(engine: Engine) -> None:
    with engine.begin() as connection:
        issued = issue_token(connection, "service:bot", "local:op", NOW, timedelta(days=366))
    assert issued.record.expires_at == NOW + timedelta(days=366)


@pytest.mark.parametrize("presented", ["brf_", "brf__secret", "brf_abc_", "brf_abc", "brfabc_x_y"])
def test_a_token_missing_a_part_is_malformed(engine: Engine, presented: str) -> None:
    _issue(engine)
    with (
        engine.connect() as connection,
        pytest.raises(InvalidTokenError, match=r"^malformed token$"),
    ):
        verify_token(connection, presented, NOW)


def test_an_unknown_id_and_a_wrong_secret_read_the_same(engine: Engine) -> None:
    token = _issue(engine)
    _, token_id, secret = token.split("_", 2)
    with engine.connect() as connection:
        for presented in (f"brf_000000000000_{secret}", f"brf_{token_id}_{secret}x"):
            with pytest.raises(InvalidTokenError, match=r"^invalid token$"):
                verify_token(connection, presented, NOW)


def test_expiry_is_exact_to_the_second_and_named_in_the_message(engine: Engine) -> None:
    token = _issue(engine, timedelta(hours=1))
    with engine.connect() as connection:
        assert verify_token(connection, token, NOW + timedelta(minutes=59, seconds=59))
        with pytest.raises(
            InvalidTokenError, match=r"^token [0-9a-f]{12} expired at 2026-11-27T13:00:00\+00:00$"
        ):
            verify_token(connection, token, NOW + timedelta(hours=1))


def test_a_revoked_token_names_itself_in_the_message(engine: Engine) -> None:
    token = _issue(engine)
    token_id = token.split("_")[1]
    with engine.begin() as connection:
        revoked = revoke_token(connection, token_id, NOW)
    assert revoked is not None and revoked.revoked_at == NOW and revoked.id == token_id
    with (
        engine.connect() as connection,
        pytest.raises(InvalidTokenError, match=rf"^token {token_id} was revoked$"),
    ):
        verify_token(connection, token, NOW - timedelta(days=1))


def test_status_is_active_until_expiry_then_expired_and_revoked_wins() -> None:
    record = TokenRecord("abc", "service:bot", NOW, "local:op", NOW + timedelta(hours=1), None)
    assert record.status(NOW + timedelta(minutes=59)) == "active"
    assert record.status(NOW + timedelta(hours=1)) == "expired"
    revoked = TokenRecord("abc", "service:bot", NOW, "local:op", NOW + timedelta(hours=1), NOW)
    assert revoked.status(NOW) == "revoked"


def test_a_token_record_as_dict_has_times_to_the_second() -> None:
    record = TokenRecord(
        "abc",
        "service:bot",
        NOW.replace(microsecond=5),
        "local:op",
        NOW + timedelta(days=1),
        None,
    )
    assert record.as_dict() == {
        "id": "abc",
        "subject": "service:bot",
        "created_at": "2026-11-27T12:00:00+00:00",
        "created_by": "local:op",
        "expires_at": "2026-11-28T12:00:00+00:00",
        "revoked_at": None,
    }


def test_tokens_list_oldest_first_and_filter_by_subject(engine: Engine) -> None:
    with engine.begin() as connection:
        for hours, subject in ((2, "service:a"), (0, "service:b"), (1, "service:a")):
            issue_token(
                connection, subject, "local:op", NOW + timedelta(hours=hours), timedelta(days=1)
            )
    with engine.connect() as connection:
        everyone = list_tokens(connection)
        only_a = list_tokens(connection, "service:a")
    assert [(r.subject, r.created_at.hour) for r in everyone] == [
        ("service:b", 12),
        ("service:a", 13),
        ("service:a", 14),
    ]
    assert [r.created_at.hour for r in only_a] == [13, 14]


def test_an_unknown_id_is_not_found_with_a_hint() -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    with engine.connect() as connection, pytest.raises(NotFoundError) as caught:
        get_token(connection, "feedfacecafe")
    assert caught.value.message == "no token with id 'feedfacecafe'"
    assert caught.value.hint == "see: brctl finance token list"


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" 2D ", timedelta(days=2)), ("999999m", timedelta(minutes=999999))],
)
def test_durations_ignore_case_and_surrounding_space(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_bad_duration_says_what_was_given_and_what_to_use() -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration("1000000d")
    assert caught.value.message == "not a duration: '1000000d'"
    assert caught.value.hint == "use a number and a unit: 30m, 12h, 90d, 4w"


def test_tokens_made_in_the_same_instant_list_by_id(engine: Engine) -> None:
    with engine.begin() as connection:
        ids = [
            issue_token(connection, "service:bot", "local:op", NOW, timedelta(days=1)).record.id
            for _ in range(4)
        ]
    with engine.connect() as connection:
        assert [record.id for record in list_tokens(connection)] == sorted(ids)
