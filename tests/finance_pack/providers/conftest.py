"""One Slack emulator for the sandbox tests, reset before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finance_pack.sandbox.testing import RunningSlackEmulator, running_slack_emulator


@pytest.fixture(scope="session")
def slack_emulator_session() -> Iterator[RunningSlackEmulator]:
    with running_slack_emulator() as running:
        yield running


@pytest.fixture
def slack_emulator(slack_emulator_session: RunningSlackEmulator) -> RunningSlackEmulator:
    slack_emulator_session.emulator.reset()
    return slack_emulator_session
