"""The API as a client meets it: a real `brctl finance up` process on a loopback port.

Schemathesis checks every operation against the OpenAPI document (status codes, content types,
response schemas, auth, stateful sequences) with a Policy Steward token; Chromium loads the API
docs with every request outside loopback refused, and the operations must still render.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OPERATION_SUMMARIES = ["/v1/budgets/{name}", "/v1/audit", "/v1/kpis"]  # operations, by path


@dataclass(frozen=True)
class LiveApi:
    url: str
    steward_token: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _brctl(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "brctl", *args], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _wait_ready(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the API did not become ready")


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    home = tmp_path_factory.mktemp("live-api")
    env = {**os.environ, "BLACKROAD_HOME": str(home), "COLUMNS": "200"}
    for name in ("FINANCE_DATABASE_URL", "FINANCE_COST_STORE_URL", "SLACK_BOT_TOKEN"):
        env.pop(name, None)
    _brctl("pack", "install", "finance", env=env)
    _brctl("roles", "bind", "user:steward@example.com", "policy-steward", env=env)
    issued = _brctl(
        "finance", "token", "create", "user:steward@example.com", "--format", "json", env=env
    )
    port = _free_port()
    # The server's log goes to a file: an undrained pipe fills after ~64 KiB of access log and
    # the server then blocks on its next log line, mid-run.
    log = (home / "up.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "brctl", "finance", "up", "--no-agents", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, home / "up.log")
        yield LiveApi(url, json.loads(issued)["token"])
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def test_schemathesis_finds_no_contract_violation_with_a_steward_token(
    live_api: LiveApi, tmp_path: Path
) -> None:
    st = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st),
            "run",
            f"{live_api.url}/openapi.json",
            "-H",
            f"Authorization: Bearer {live_api.steward_token}",
            "-c",
            "all",
            # A schema cannot say "not a future month": valid-looking data may be refused.
            "--exclude-checks",
            "positive_data_acceptance",
            # Response times are measured in benchmarks, not judged here: this bound only
            # catches a hang (schemathesis would flag 10 s on a loaded shared machine).
            "--max-response-time",
            "120",
            "--max-examples",
            "25",
            "--seed",
            "1",
            # A loaded CI machine: the first KPI query opens the cost store (Ibis, DuckDB).
            "--request-timeout",
            "120",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Failures:" not in result.stdout


def _offline_page_texts(url: str, ready_selector: str) -> tuple[str, list[str]]:
    """The page's text once `ready_selector` shows, loaded with only loopback reachable."""
    from playwright.sync_api import Route, sync_playwright

    refused: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.route("**/*", loopback_only)
            page.goto(url)
            page.wait_for_selector(ready_selector, timeout=60_000)
            return page.inner_text("body"), refused
        finally:
            browser.close()


def test_swagger_ui_renders_the_operations_offline(live_api: LiveApi) -> None:
    text, refused = _offline_page_texts(f"{live_api.url}/docs", ".opblock-summary")
    for summary in OPERATION_SUMMARIES:
        assert summary in text
    assert refused == []


def test_redoc_renders_the_operations_offline(live_api: LiveApi) -> None:
    text, refused = _offline_page_texts(f"{live_api.url}/redoc", "[data-section-id]")
    for summary in OPERATION_SUMMARIES:
        assert summary in text
    # ReDoc's bundle shows a "powered by" badge image from its CDN: decoration, nothing more.
    assert [u for u in refused if not u.startswith("https://cdn.redoc.ly/redoc/logo")] == []


def _live_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail", "hint"} <= set(body) and body["status"] == status
    return body


def _chunks(size: int) -> Iterator[bytes]:
    """A JSON body sent without Content-Length (chunked), as a streaming client sends it."""
    yield b'{"amount": "1", "currency": "USD", "scope": {"services": ["'
    for _ in range(size // 65536):
        yield b"s" * 65536
    yield b'"]}}'


def test_error_answers_outside_the_routes_are_problem_details_too(live_api: LiveApi) -> None:
    auth = {"Authorization": f"Bearer {live_api.steward_token}"}
    big = {"amount": "1", "currency": "USD", "scope": {"services": ["s" * 300_000]}}
    with httpx.Client(base_url=live_api.url, headers=auth, timeout=60) as client:
        declared = _live_problem(client.put("/v1/budgets/big", json=big), 413)
        assert declared["title"] == "Content Too Large"
        assert declared["detail"].endswith(" bytes, over the limit of 262144 bytes")
        assert declared["hint"] == "send at most 262144 bytes (api.max_body_bytes in finance.yaml)"
        chunked = client.put(
            "/v1/budgets/chunky",
            content=_chunks(400_000),
            headers={"Content-Type": "application/json"},
        )
        # How much of a body without a length arrived before the refusal depends on the reads.
        assert _live_problem(chunked, 413)["detail"].startswith("the request body is at least ")
        names = [b["name"] for b in client.get("/v1/budgets").json()]
        assert "big" not in names and "chunky" not in names
        not_allowed = client.post("/v1/budgets/x")
        assert _live_problem(not_allowed, 405) == {
            "type": "https://blackroad.dev/problems/method-not-allowed",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": "POST /v1/budgets/x is not served",
            "hint": "this path answers DELETE, PUT",
        }
        assert not_allowed.headers["allow"] == "DELETE, PUT"
        unknown = _live_problem(client.get("/v1/budget"), 404)
        assert unknown["detail"] == "GET /v1/budget is not served"
        not_json = client.put(
            "/v1/budgets/x", content=b"{amount: 1}", headers={"Content-Type": "application/json"}
        )
        assert _live_problem(not_json, 400)["detail"] == (
            "the body is not valid JSON: Expecting property name enclosed in double quotes"
            " (at character 1)"
        )
