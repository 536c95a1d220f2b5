"""Database URLs in errors: the password never shows, wherever it is written; a malformed URL or
an unreachable database is a message, not a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from finance_pack.secrets import redact_url

Run = Callable[..., tuple[int, str, str]]
QUERY_PASSWORD = "postgresql://127.0.0.1:1/finance?user=fin&password=hunter2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://fin:hunter2@db:5432/finance", "postgresql://fin:***@db:5432/finance"),
        (QUERY_PASSWORD, "postgresql://127.0.0.1:1/finance?user=fin&password=***"),
        (
            "postgresql://db/f?sslpassword=hunter2&sslmode=require",
            "postgresql://db/f?sslpassword=***&sslmode=require",
        ),
        (
            "postgresql://fin:hunter2@db:notaport/finance",
            "postgresql://fin:***@db:notaport/finance",
        ),
        ("postgresql://fin:hunter2@[db/finance", "<unparseable database URL>"),
        ("sqlite:////srv/state/finance.db", "sqlite:////srv/state/finance.db"),
        ("duckdb:///costs.duckdb", "duckdb:///costs.duckdb"),
    ],
)
def test_redact_hides_passwords_in_the_user_part_and_in_the_query(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "command", [("doctor", "--format", "json"), ("db", "status"), ("budget", "list")]
)
def test_a_password_in_the_query_never_shows_in_any_command(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("FINANCE_DATABASE_URL", QUERY_PASSWORD)
    code, out, err = brctl("finance", *command)
    assert code != 0
    assert "hunter2" not in out + err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "postgresql://fin:hunter2@127.0.0.1:notaport/finance",
            "invalid database URL 'postgresql://fin:***@127.0.0.1:notaport/finance': "
            "the port is not a number",
        ),
        ("postgresql://fin:hunter2@127.0.0.1:1/finance", "unreachable"),
    ],
)
def test_db_status_with_a_bad_url_or_no_database_is_a_message(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("FINANCE_DATABASE_URL", url)
    code, out, err = brctl("finance", "db", "status")
    assert code in (2, 4)
    assert says in out + err and "hunter2" not in out + err and "Traceback" not in out + err


def test_the_cost_store_url_can_come_from_a_file(
    installed_target: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from finance_pack.context import load_context

    secret = tmp_path / "cost-store-url"
    secret.write_text(f"duckdb:///{tmp_path / 'elsewhere.duckdb'}\n")
    monkeypatch.delenv("FINANCE_COST_STORE_URL", raising=False)
    monkeypatch.setenv("FINANCE_COST_STORE_URL_FILE", str(secret))
    assert (
        load_context(installed_target).cost_store_url
        == f"duckdb:///{tmp_path / 'elsewhere.duckdb'}"
    )
