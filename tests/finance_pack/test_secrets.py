from __future__ import annotations

from pathlib import Path

import pytest

from finance_pack.errors import UsageError
from finance_pack.secrets import read_secret, secret_source


def test_environment_wins_over_file(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text("from-file\n")
    env = {"SLACK_BOT_TOKEN": "from-env", "SLACK_BOT_TOKEN_FILE": str(file)}
    assert read_secret("SLACK_BOT_TOKEN", env) == "from-env"


def test_file_is_read_and_stripped(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text("xoxb-1\n")
    env = {"SLACK_BOT_TOKEN_FILE": str(file)}
    assert read_secret("SLACK_BOT_TOKEN", env) == "xoxb-1"
    assert secret_source("SLACK_BOT_TOKEN", env) == "file"


def test_unreadable_file_names_the_variable_not_the_secret(tmp_path: Path) -> None:
    env = {"STRIPE_API_KEY_FILE": str(tmp_path / "missing")}
    with pytest.raises(UsageError, match="STRIPE_API_KEY_FILE points at"):
        read_secret("STRIPE_API_KEY", env)


def test_missing_secret_is_none() -> None:
    assert read_secret("NOPE", {}) is None and secret_source("NOPE", {}) is None
