"""`brctl finance agent run`, as an operator runs it from cron: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from finance_pack.sandbox.testing import RunningSlackEmulator


def test_agent_run_once_prints_no_migration_log_lines(
    installed_target: Path, slack_emulator: RunningSlackEmulator
) -> None:
    env = {
        **os.environ,
        "BLACKROAD_HOME": str(installed_target),
        "SLACK_BOT_TOKEN": slack_emulator.token,
        "FINANCE_SLACK_API_URL": slack_emulator.api_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "brctl", "finance", "agent", "run", "budgeteer", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "budgeteer: due work done" in result.stdout
    output = result.stdout + result.stderr
    assert "alembic" not in output and "Running upgrade" not in output


def test_a_slack_error_in_run_now_is_printed_once(
    installed_target: Path, slack_emulator: RunningSlackEmulator
) -> None:
    env = {
        **os.environ,
        "BLACKROAD_HOME": str(installed_target),
        "SLACK_BOT_TOKEN": "xoxb-not-the-emulators-token",
        "FINANCE_SLACK_API_URL": slack_emulator.api_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "brctl", "finance", "budgeteer", "run-now"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.count("invalid_auth") == 1, result.stderr
