"""The API test client: an installed pack, a steward and a catalyst bound, tokens on demand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from finance_pack.access.tokens import issue_token
from finance_pack.api.app import create_app
from finance_pack.clock import FakeClock
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

STEWARD, CATALYST = "user:steward@example.com", "slack:U012AB3CD"
ROLES = f"""\
# bindings for the API tests
bindings:
  - subject: {STEWARD}
    roles: [policy-steward]
  - subject: {CATALYST}
    roles: [growth-catalyst]
"""


class Api:
    def __init__(self, target: Path) -> None:
        self.context = load_context(target)
        self.context.roles_path.write_text(ROLES)
        self.engine: Engine = make_engine(self.context.state_db_url)
        upgrade(self.engine)
        self.clock = FakeClock(datetime.now(UTC))
        self.app = create_app(self.context, self.engine, self.clock)
        self.client = TestClient(self.app)

    def token(self, subject: str, lifetime: timedelta = timedelta(days=1)) -> str:
        with self.engine.begin() as connection:
            return issue_token(connection, subject, "local:test", self.clock.now(), lifetime).token


@pytest.fixture
def api(installed_target: Path) -> Iterator[Api]:
    api = Api(installed_target)
    yield api
    api.engine.dispose()
