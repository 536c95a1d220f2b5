from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from finance_pack.api.app import create_app
from finance_pack.context import load_context
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import head_revision, upgrade


def _client(target: Path, *, migrate: bool = True) -> TestClient:
    context = load_context(target)
    engine = make_engine(context.state_db_url)
    if migrate:
        upgrade(engine)
    return TestClient(create_app(context, engine))


def test_health_ready_metrics_and_openapi_answer(installed_target: Path) -> None:
    client = _client(installed_target)
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/openapi.json").json()["info"]["title"] == "BlackRoad Finance Ops Pack"
    metrics = client.get("/metrics").text
    assert 'finance_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in metrics


def test_readyz_is_503_until_the_store_is_migrated(installed_target: Path) -> None:
    response = _client(installed_target, migrate=False).get("/readyz")
    assert response.status_code == 503


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_up_until_ready(
    installed_target: Path, extra_env: dict[str, str], *args: str, ready: bool = True
) -> tuple[int, str, dict[str, object]]:
    """Start `brctl finance up`, wait for /readyz, send SIGTERM; (exit status, output, readyz)."""
    port = _free_port()
    brctl = Path(sys.executable).with_name("brctl")
    env = {**os.environ, "BLACKROAD_HOME": str(installed_target), **extra_env}
    process = subprocess.Popen(
        [str(brctl), "finance", "up", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "API did not start"
                time.sleep(0.2)
        assert response.status_code == (200 if ready else 503), response.text
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        return process.returncode, output, response.json()
    finally:
        if process.poll() is None:
            process.kill()


def test_up_is_not_ready_while_an_agent_could_not_start(installed_target: Path) -> None:
    code, output, readyz = _run_up_until_ready(
        installed_target, {"SLACK_BOT_TOKEN": ""}, ready=False
    )
    assert code == 0
    assert "budgeteer not started" in output
    assert readyz == {
        "status": "agents-failed",
        "schema": head_revision(),
        "agents": {
            "budgeteer": "not started: set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE",
            "cost-watcher": "not started: set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE",
        },
    }


def test_up_without_agents_serves_ready_and_exits_zero_on_sigterm(installed_target: Path) -> None:
    code, _output, readyz = _run_up_until_ready(
        installed_target, {"SLACK_BOT_TOKEN": ""}, "--no-agents"
    )
    assert code == 0 and readyz["status"] == "ready"


def test_up_runs_the_budgeteer_and_stops_it_cleanly(
    installed_target: Path, slack_emulator: RunningSlackEmulator
) -> None:
    env = {"SLACK_BOT_TOKEN": slack_emulator.token, "FINANCE_SLACK_API_URL": slack_emulator.api_url}
    code, output, readyz = _run_up_until_ready(installed_target, env)
    assert code == 0, output
    assert readyz["status"] == "ready"
    assert "agent budgeteer started" in output and "agent budgeteer stopped" in output
