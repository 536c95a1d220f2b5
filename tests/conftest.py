"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from brctl.cli import main

if TYPE_CHECKING:
    from finance_pack.sandbox.testing import RunningSlackEmulator


@pytest.fixture
def brctl(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `brctl ARGS...` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def installed_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment root with the finance pack freshly installed; `$BLACKROAD_HOME` points at it."""
    from brctl.install import apply_plan, plan_install
    from brctl.packs import get_pack

    target = tmp_path / "deploy"
    apply_plan(plan_install(get_pack("finance"), target))
    monkeypatch.setenv("BLACKROAD_HOME", str(target))
    for name in (
        "FINANCE_DATABASE_URL",
        "FINANCE_DATABASE_URL_FILE",
        "FINANCE_COST_STORE_URL",
        "FINANCE_COST_STORE_URL_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    return target


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One real PostgreSQL server for the session (Debian's packages, as a non-root user)."""
    from finance_pack.sandbox.postgres import running_postgres

    with running_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server for one test."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def slack_emulator_session() -> Iterator[RunningSlackEmulator]:
    """One Slack emulator for the whole run, on a free loopback port."""
    from finance_pack.sandbox.testing import running_slack_emulator

    with running_slack_emulator() as running:
        yield running


@pytest.fixture
def slack_emulator(slack_emulator_session: RunningSlackEmulator) -> RunningSlackEmulator:
    """The session's Slack emulator, emptied (messages, faults) for this test."""
    slack_emulator_session.emulator.reset()
    return slack_emulator_session


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server (AWS APIs) for the session, unseeded, on a free loopback port."""
    from finance_pack.sandbox.aws import running_aws_sandbox

    with running_aws_sandbox(seed=False) as running:
        yield running.url
