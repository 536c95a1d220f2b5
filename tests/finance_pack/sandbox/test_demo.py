"""`brctl finance demo`: the whole script through a real subprocess, its refusals, and its
supervision of the pack process."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from brctl.errors import CommandError
from finance_pack.cli.demo import _serve_until_interrupted
from finance_pack.sandbox.children import Children
from finance_pack.sandbox.demo import DemoSession
from finance_pack.sandbox.demo_pack import choose_port

BRCTL = [sys.executable, "-c", "from brctl.cli import entry; entry()"]

EXPECTED_STEPS = [
    "Install the pack and check it",
    "Bind the Policy Steward and the Growth Catalyst",
    "Budgets, set by the Policy Steward (audited)",
    "Start the pack: API, dashboard and agents (brctl finance up)",
    "The API, with role-checked tokens",
    "The dashboard, with a one-time sign-in link",
    "SLOs and the audit log",
]


def test_demo_once_plays_every_step_and_reports_them_as_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [*BRCTL, "finance", "demo", "--once", "--format", "json", "--target", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    steps = json.loads(result.stdout)["steps"]
    names = [step["name"] for step in steps]
    for expected in EXPECTED_STEPS:
        assert expected in names
    assert all(step["ok"] for step in steps), steps
    assert all(isinstance(step["seconds"], float | int) and step["seconds"] >= 0 for step in steps)
    assert "Traceback" not in result.stderr


def test_demo_refuses_a_target_holding_a_real_install(tmp_path: Path) -> None:
    target = tmp_path / "prod"
    installed = subprocess.run(
        [*BRCTL, "pack", "install", "finance", f"--target={target}"],
        capture_output=True,
        timeout=120,
    )
    assert installed.returncode == 0
    result = subprocess.run(
        [*BRCTL, "finance", "demo", "--once", "--target", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "not a demo sandbox" in result.stderr and "--force" in result.stderr
    assert not (target / ".finance-demo-sandbox").exists()


def test_a_port_in_use_is_replaced_by_a_free_one_and_said() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        port, note = choose_port(taken)
    assert port != taken
    assert note == f"port {taken} is in use; serving on {port} instead"


def test_a_child_that_dies_stops_the_demo_naming_it(tmp_path: Path) -> None:
    with Children(tmp_path / "logs", grace_seconds=2) as children:
        child = children.start(
            "finance-up",
            [sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
            dict(os.environ),
        )
        child.process.wait(30)
        session = DemoSession(target=tmp_path, console=None, stack=None, children=children)  # type: ignore[arg-type]
        with pytest.raises(
            CommandError, match=r"finance-up \(pid \d+\) exited with status 3"
        ) as caught:
            _serve_until_interrupted(False, Console(file=io.StringIO()))(session)
    assert "boom" in str(caught.value)


def test_stopping_the_children_leaves_no_process_behind(tmp_path: Path) -> None:
    with Children(tmp_path / "logs", grace_seconds=2) as children:
        child = children.start(
            "sleeper", [sys.executable, "-c", "import time; time.sleep(600)"], dict(os.environ)
        )
        pid = child.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
