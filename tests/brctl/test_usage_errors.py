"""Usage mistakes and unexpected failures, as a user meets them: a real `brctl` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, env_home: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "brctl"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"BLACKROAD_HOME": str(env_home), "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
    )


USAGE_ERRORS = [
    # (command line, what the message says, the --help it points at)
    (["pack", "install"], "Missing argument 'name'", "brctl pack install --help"),
    (["pack", "list", "--bogus"], "No such option: --bogus", "brctl pack list --help"),
    (["pack", "list", "--format", "xml"], "'xml' is not one of", "brctl pack list --help"),
    (["nosuch"], "No such command 'nosuch'", "brctl --help"),
    (["finance", "nosuch"], "No such command 'nosuch'", "brctl finance --help"),
    (["finance", "kpi", "--format", "xml"], "'xml' is not one of", "brctl finance kpi --help"),
    (["finance", "budget", "set"], "Missing argument 'name'", "brctl finance budget set --help"),
    (
        ["finance", "forecast", "backtest", "--months", "99"],
        "Invalid value for '--months'",
        "brctl finance forecast backtest --help",
    ),
    (
        ["finance", "token", "create", "user:a@example.com", "--expires"],
        "Option '--expires' requires an argument",
        "brctl finance token create --help",
    ),
    (["roles", "bind"], "Missing argument 'subject'", "brctl roles bind --help"),
    (
        ["finance", "alerts", "list", "--state", "BOGUS"],
        "error: Invalid value for '--state': 'BOGUS' is not one of 'open', 'resolved'.",
        "brctl finance alerts list --help",
    ),
]


@pytest.mark.parametrize(("args", "message", "help_hint"), USAGE_ERRORS, ids=lambda v: str(v))
def test_usage_error_prints_two_lines_and_exits_2(
    args: list[str], message: str, help_hint: str, tmp_path: Path
) -> None:
    result = _run(*args, env_home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert message in lines[0]
    assert lines[1] == f"Try '{help_hint}' for help."


BOOM = """
import sys
import typer
import brctl.cli
import brctl.lazy
boom = typer.Typer()
@boom.command()
def fail() -> None:
    raise RuntimeError("disk on fire\\nsecond line")
@boom.command()
def other() -> None:
    pass
sys.modules["boom_commands"] = type(sys)("boom_commands", "Fails on purpose.")
sys.modules["boom_commands"].app = boom
brctl.cli._LAZY_GROUPS.append(brctl.lazy.LazyCommand("boom", "boom_commands:app"))
sys.exit(brctl.cli.main())
"""


def test_unexpected_error_is_one_line_with_a_debug_hint(tmp_path: Path) -> None:
    result = _run("boom", "fail", env_home=tmp_path, code=BOOM)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: unexpected RuntimeError: disk on fire",
        "  hint: rerun with --debug to see the traceback",
    ]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("boom", "fail", "--debug", env_home=tmp_path, code=BOOM)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "RuntimeError: disk on fire" in result.stderr
