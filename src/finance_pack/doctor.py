"""Health checks of an installed pack: config, state store, secrets. Never prints a secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from brctl.errors import CommandError
from finance_pack.context import PackContext
from finance_pack.secrets import secret_source
from finance_pack.store.engine import check_reachable, make_engine, redact
from finance_pack.store.migrate import current_revision, head_revision


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str


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
                f"{where}: schema {current or 'empty'}, newest {head}: run db upgrade",
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


CHECKS: list[tuple[str, Check]] = [
    ("manifest", check_manifest),
    ("config", check_config),
    ("state store", check_state_store),
    ("secrets", check_secrets),
]


def run_checks(
    context: PackContext, checks: list[tuple[str, Check]] | None = None
) -> list[Finding]:
    """Every check runs; one failing never hides the others."""
    findings: list[Finding] = []
    for name, check in checks or CHECKS:
        try:
            findings.extend(check(context))
        except CommandError as exc:
            findings.append(Finding(name, Status.FAIL, exc.message))
    return findings
