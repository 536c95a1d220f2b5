from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finance_pack.access.audit import AuditRecord, read_audit
from finance_pack.access.tokens import list_tokens
from finance_pack.api.app import create_app
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Run = Callable[..., tuple[int, str, str]]
ALICE = "user:alice@example.com"


@pytest.fixture(autouse=True)
def _as_local_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLACKROAD_SUBJECT", raising=False)


def _audit(target: Path) -> list[AuditRecord]:
    engine = make_engine(load_context(target).state_db_url)
    upgrade(engine)
    with engine.connect() as connection:
        return read_audit(connection)


def _create(brctl: Run, subject: str = ALICE, *extra: str) -> dict[str, str]:
    code, out, err = brctl("finance", "token", "create", subject, "--format", "json", *extra)
    assert code == 0, err
    created: dict[str, str] = json.loads(out)
    return created


def test_create_prints_the_token_once_and_records_one_audit_entry(
    brctl: Run, installed_target: Path
) -> None:
    brctl("roles", "bind", ALICE, "policy-steward")
    code, out, _ = brctl("finance", "token", "create", ALICE, "--expires", "30d")
    token = next(line for line in out.splitlines() if line.startswith("brf_"))
    assert code == 0 and out.count(token) == 1 and "not shown again" in out
    record = _audit(installed_target)[-1]
    assert (record.action, record.via, record.before) == ("token.create", "cli", None)
    assert record.after["subject"] == ALICE and token not in json.dumps(record.after)


def test_create_for_an_unbound_subject_warns_that_it_grants_nothing(
    brctl: Run, installed_target: Path
) -> None:
    code, out, _ = brctl("finance", "token", "create", "service:invoice-requester")
    assert code == 0 and "holds no role yet" in out


def test_list_shows_ids_and_status_but_never_tokens(brctl: Run, installed_target: Path) -> None:
    created = _create(brctl)
    code, out, _ = brctl("finance", "token", "list", "--format", "json")
    [row] = json.loads(out)
    assert code == 0 and row["id"] == created["id"] and row["status"] == "active"
    assert created["token"] not in out and "secret" not in out


def test_list_without_tokens_says_how_to_create_one_and_scripts_see_no_rows(
    brctl: Run, installed_target: Path
) -> None:
    code, out, err = brctl("finance", "token", "list")
    assert code == 0, err
    assert out == (
        "No API tokens yet. Create one with: "
        "brctl finance token create service:invoice-requester --expires 90d\n"
    )
    code, out, _ = brctl("finance", "token", "list", "--subject", "user:Bob@example.com")
    assert out == (
        "No API tokens for user:bob@example.com yet. Create one with: "
        "brctl finance token create user:bob@example.com --expires 90d\n"
    )
    assert brctl("finance", "token", "list", "--format", "json")[1] == "[]\n"
    assert brctl("finance", "token", "list", "--format", "csv")[1] == (
        "id,subject,status,created_at,expires_at,revoked_at,created_by\n"
    )


def test_revoke_records_before_and_after_then_is_idempotent(
    brctl: Run, installed_target: Path
) -> None:
    created = _create(brctl)
    code, out, _ = brctl("finance", "token", "revoke", created["id"])
    assert code == 0 and "revoked" in out
    record = _audit(installed_target)[-1]
    assert record.action == "token.revoke" and record.target == f"token:{created['id']}"
    assert record.before["revoked_at"] is None and record.after["revoked_at"] is not None
    code, out, _ = brctl("finance", "token", "revoke", created["id"])
    assert code == 0 and "already revoked" in out
    assert len(_audit(installed_target)) == 2  # create + one revoke


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("token", "create", "alice"), 2, "malformed subject"),
        (("token", "create", ALICE, "--expires", "forever"), 2, "not a duration"),
        (("token", "create", ALICE, "--expires", "400d"), 2, "366 days"),
        (
            ("token", "create", ALICE, "--as", "user:bob@example.com"),
            3,
            "user:bob@example.com lacks permission roles:write",
        ),
        (("token", "revoke", "ffffffffffff"), 2, "no token with id"),
        (("token", "revoke", "x", "--as", "slack:U012AB3CD"), 3, "lacks permission roles:write"),
        (("audit", "--since", "last tuesday"), 2, "not a time or a duration"),
        (("audit", "--as", "slack:U012AB3CD"), 3, "lacks permission audit:read"),
    ],
)
def test_bad_input_fails_clearly_and_changes_nothing(
    brctl: Run, installed_target: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    brctl("roles", "bind", "slack:U012AB3CD", "growth-catalyst")
    before = _audit(installed_target)
    got, _, err = brctl("finance", *args)
    assert got == code and message in err
    assert _audit(installed_target) == before
    engine = make_engine(load_context(installed_target).state_db_url)
    with engine.connect() as connection:
        assert list_tokens(connection) == []


def test_a_failed_audit_write_rolls_the_token_back(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store rejected the record")

    monkeypatch.setattr("finance_pack.services.tokens.record_audit", broken)
    code, _, err = brctl("finance", "token", "create", ALICE)
    assert code == 1 and "unexpected RuntimeError: audit store rejected the record" in err
    engine = make_engine(load_context(installed_target).state_db_url)
    with engine.connect() as connection:
        assert list_tokens(connection) == []
    assert _audit(installed_target) == []


def test_audit_filters_by_subject_and_since_and_prints_csv(
    brctl: Run, installed_target: Path
) -> None:
    brctl("roles", "bind", ALICE, "policy-steward")
    brctl("roles", "bind", "slack:U012AB3CD", "growth-catalyst", "--as", ALICE)
    code, out, _ = brctl("finance", "audit", "--subject", ALICE, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 2  # about alice, then by alice
    code, out, _ = brctl("finance", "audit", "--since", "1h", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "at,actor,via,action,target,before,after"
    assert len(out.splitlines()) == 3
    code, out, _ = brctl("finance", "audit", "--since", "2999-01-01", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_tokens_never_reach_the_database_files_or_the_logs(
    brctl: Run, installed_target: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    brctl("roles", "bind", ALICE, "policy-steward")
    token = _create(brctl)["token"]
    secret = token.rsplit("_", 1)[1]
    context = load_context(installed_target)
    engine = make_engine(context.state_db_url)
    client = TestClient(create_app(context, engine))
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/v1/audit", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    code, out, _ = brctl("finance", "audit", "--format", "json")
    assert code == 0 and token not in out and secret not in out
    code, out, _ = brctl("finance", "token", "list", "--format", "csv")
    assert code == 0 and secret not in out
    engine.dispose()
    state_files = [p for p in context.state_dir.iterdir() if p.is_file()]
    assert any(p.name == "finance.db" for p in state_files)
    for path in state_files:
        assert secret.encode() not in path.read_bytes(), path
    assert caplog.records and secret not in caplog.text


def test_token_and_audit_commands_have_help_with_an_example(brctl: Run) -> None:
    for args in (("token", "create"), ("token", "list"), ("token", "revoke"), ("audit",)):
        code, out, _ = brctl("finance", *args, "--help")
        assert code == 0 and "Example" in out, args
