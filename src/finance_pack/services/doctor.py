"""Health checks of an installed pack: config, state store, secrets, and whether the
configured providers (Slack, AWS) answer with the credentials given. Never prints a secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from finance_pack.context import PackContext
from finance_pack.domain.health import Finding, Status
from finance_pack.errors import FinanceError
from finance_pack.secrets import secret_source
from finance_pack.store.engine import check_reachable, make_engine, redact
from finance_pack.store.migrate import current_revision, head_revision

__all__ = ["CHECKS", "Finding", "Status", "run_checks"]

Check = Callable[[PackContext], list[Finding]]


def check_manifest(context: PackContext) -> list[Finding]:
    manifest = context.manifest
    return [Finding("manifest", Status.OK, f"{manifest.name} {manifest.version}")]


def check_config(context: PackContext) -> list[Finding]:
    config = context.config
    detail = (
        f"{len(config.budgets)} budget(s), currency {config.billing_currency}, tz {config.timezone}"
    )
    return [Finding("config", Status.OK, detail)]


def check_state_store(context: PackContext) -> list[Finding]:
    engine = make_engine(context.state_db_url)
    check_reachable(engine)
    current, head = current_revision(engine), head_revision()
    where = redact(context.state_db_url)
    if current != head:
        return [
            Finding(
                "state store",
                Status.WARN,
                f"{where}: schema {current or 'empty'}, newest {head}: run "
                "`brctl finance db upgrade` (`brctl finance up` also does it)",
            )
        ]
    return [Finding("state store", Status.OK, f"{where}: schema {current}")]


def check_secrets(context: PackContext) -> list[Finding]:
    findings = []
    for secret in context.manifest.secrets:
        source = secret_source(secret.name)
        if source:
            findings.append(Finding(f"secret {secret.name}", Status.OK, f"set (from {source})"))
        else:
            status = Status.FAIL if secret.required else Status.OK
            need = "required" if secret.required else "optional"
            hint = f"not set ({need}): {secret.name} or {secret.name}_FILE"
            findings.append(Finding(f"secret {secret.name}", status, hint))
    return findings


def check_slack(context: PackContext) -> list[Finding]:
    """`auth.test` with the configured token: who the bot is, in which workspace."""
    from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
    from finance_pack.providers.slack.settings import (
        TOKEN_ENV,
        TOKEN_FILE_ENV,
        bot_token_configured,
    )

    if not bot_token_configured():
        return [
            Finding("slack", Status.SKIP, f"skipped (neither {TOKEN_ENV} nor {TOKEN_FILE_ENV} set)")
        ]
    try:
        # A doctor answers within seconds: one quick retry, not the agents' patient policy.
        settings = dataclasses.replace(
            SlackSettings.from_env(
                base_url=context.config.slack.api_url,
                retry=RetryPolicy(max_attempts=2, max_total_wait_seconds=3),
            ),
            timeout_seconds=10,
        )
        identity = SlackWebGateway(settings).auth_check()
    except FinanceError as exc:
        detail = f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message
        return [Finding("slack", Status.FAIL, detail)]
    bot = f"bot user {identity.user_id}" + (f" ({identity.bot_id})" if identity.bot_id else "")
    team = f"team {identity.team} ({identity.team_id})"
    return [Finding("slack", Status.OK, f"{bot} in {team} via {settings.base_url}")]


def check_aws(context: PackContext) -> list[Finding]:
    """Cost Explorer readable, and the credentials no broader than billing reads."""
    aws = context.config.providers.aws
    if not aws.enabled:
        return [Finding("aws access", Status.SKIP, "skipped (providers.aws.enabled is false)")]
    import boto3
    from botocore.exceptions import BotoCoreError

    from finance_pack.providers.aws.access import check_aws_access

    try:
        session = boto3.Session(region_name=aws.region)
    except BotoCoreError as exc:  # e.g. AWS_PROFILE names a profile that does not exist
        return [Finding("aws access", Status.FAIL, f"{exc} (hint: check AWS_PROFILE)")]
    return check_aws_access(session, endpoint_url=aws.endpoint_url)


CHECKS: list[tuple[str, Check]] = [
    ("manifest", check_manifest),
    ("config", check_config),
    ("state store", check_state_store),
    ("secrets", check_secrets),
    ("slack", check_slack),
    ("aws access", check_aws),
]


def run_checks(
    context: PackContext, checks: list[tuple[str, Check]] | None = None
) -> list[Finding]:
    """Every check runs; one failing never hides the others."""
    findings: list[Finding] = []
    for name, check in checks or CHECKS:
        try:
            findings.extend(check(context))
        except FinanceError as exc:
            findings.append(Finding(name, Status.FAIL, exc.message))
    return findings
