"""Where the Slack adapter connects and with which token, from config and the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from finance_pack.errors import UsageError
from finance_pack.providers.slack.retry import RetryPolicy
from finance_pack.secrets import secret_source

SLACK_API_URL = "https://slack.com/api/"
API_URL_ENV = "FINANCE_SLACK_API_URL"
TOKEN_ENV = "SLACK_BOT_TOKEN"
TOKEN_FILE_ENV = "SLACK_BOT_TOKEN_FILE"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """The token never appears in `repr`, logs or error messages."""

    token: str = field(repr=False)
    base_url: str = SLACK_API_URL
    timeout_seconds: int = 30
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_post_interval_seconds: float = 1.0

    def __post_init__(self) -> None:
        validate_base_url(self.base_url)
        if not self.token or any(ch.isspace() for ch in self.token):
            raise UsageError(
                "the Slack bot token is empty or contains whitespace",
                hint=f"set {TOKEN_ENV} or {TOKEN_FILE_ENV} to a bot token (xoxb-...)",
            )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        min_post_interval_seconds: float = 1.0,
    ) -> SlackSettings:
        """Token from `SLACK_BOT_TOKEN` or `SLACK_BOT_TOKEN_FILE`; API URL from
        `FINANCE_SLACK_API_URL`, else `base_url` (the config's), else Slack's own.

        The environment wins over the config so that the sandbox can point an installed pack
        at the emulator without editing finance.yaml.
        """
        env = os.environ if environ is None else environ
        return cls(
            token=read_bot_token(env),
            base_url=env.get(API_URL_ENV) or base_url or SLACK_API_URL,
            retry=retry or RetryPolicy(),
            min_post_interval_seconds=min_post_interval_seconds,
        )


def validate_base_url(url: str) -> None:
    if not url.startswith(("http://", "https://")) or not url.endswith("/"):
        raise UsageError(
            f"the Slack API URL {url!r} must be an http(s) URL ending with '/'",
            hint=f"for example {SLACK_API_URL} or http://127.0.0.1:8765/api/ ({API_URL_ENV})",
        )


def bot_token_configured(environ: Mapping[str, str] | None = None) -> bool:
    """The one check that a bot token is set (`SLACK_BOT_TOKEN` or `SLACK_BOT_TOKEN_FILE`),
    without reading it: `doctor` and `up` skip Slack when it is not."""
    return secret_source(TOKEN_ENV, environ) is not None


def read_bot_token(env: Mapping[str, str]) -> str:
    token, token_file = env.get(TOKEN_ENV), env.get(TOKEN_FILE_ENV)
    if token and token_file:
        raise UsageError(
            f"both {TOKEN_ENV} and {TOKEN_FILE_ENV} are set", hint="set only one of them"
        )
    if token_file:
        try:
            return Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(
                f"cannot read the Slack token file named by {TOKEN_FILE_ENV}: {exc.strerror}",
                hint="check the path and that this user may read it",
            ) from exc
    if token:
        return token.strip()
    raise UsageError(
        "no Slack bot token",
        hint=f"set {TOKEN_ENV} (xoxb-...) or {TOKEN_FILE_ENV} (a file holding it)",
    )
