"""Slack settings: token and API URL from the environment and config, checked early."""

from __future__ import annotations

from pathlib import Path

import pytest

from finance_pack.errors import UsageError
from finance_pack.providers.slack import SlackSettings
from finance_pack.providers.slack.settings import bot_token_configured


def test_token_comes_from_slack_bot_token() -> None:
    settings = SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert (settings.token, settings.base_url) == ("xoxb-1", "https://slack.com/api/")


def test_token_file_is_read_and_stripped(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("xoxb-from-file\n")
    settings = SlackSettings.from_env({"SLACK_BOT_TOKEN_FILE": str(token_file)})
    assert settings.token == "xoxb-from-file"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no Slack bot token"),
        ({"SLACK_BOT_TOKEN": "a", "SLACK_BOT_TOKEN_FILE": "b"}, "both"),
        ({"SLACK_BOT_TOKEN_FILE": "/nonexistent/token"}, "cannot read"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "FINANCE_SLACK_API_URL": "http://h:1/api"}, "ending with"),
    ],
)
def test_bad_settings_are_usage_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SlackSettings.from_env(env)


def test_environment_url_wins_over_the_config_url() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "FINANCE_SLACK_API_URL": "http://127.0.0.1:9/api/"}
    settings = SlackSettings.from_env(env, base_url="https://slack.example/api/")
    assert settings.base_url == "http://127.0.0.1:9/api/"
    config_only = SlackSettings.from_env({"SLACK_BOT_TOKEN": "x"}, base_url="https://s.test/api/")
    assert config_only.base_url == "https://s.test/api/"


def test_repr_never_shows_the_token() -> None:
    assert "xoxb-secret" not in repr(SlackSettings(token="xoxb-secret"))


@pytest.mark.parametrize(
    ("environ", "configured"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, True),
        ({"SLACK_BOT_TOKEN_FILE": "/run/secrets/slack"}, True),
        ({"SLACK_BOT_TOKEN": ""}, False),
        ({}, False),
    ],
)
def test_bot_token_configured_is_the_one_check_doctor_and_up_use(
    environ: dict[str, str], configured: bool
) -> None:
    assert bot_token_configured(environ) is configured
