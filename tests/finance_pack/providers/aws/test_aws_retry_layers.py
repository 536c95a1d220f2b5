"""One retry layer for AWS: a real boto3 client against a loopback server that always throttles
(or fails) makes exactly `attempts` requests, not botocore's retries times ours."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from tenacity import wait_none

from finance_pack.errors import UnavailableError
from finance_pack.providers.aws.calls import call_aws, client


class _AlwaysFailing(BaseHTTPRequestHandler):
    status = 400
    error = "ThrottlingException"
    seen: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append(self.headers.get("X-Amz-Target", ""))
        body = json.dumps({"__type": self.error, "message": "no"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", self.error)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(status: int, error: str) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("H", (_AlwaysFailing,), {"status": status, "error": error, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def throttling() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(400, "ThrottlingException")


@pytest.fixture
def failing() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(500, "InternalServerError")


def _get_costs(endpoint: str) -> object:
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s")
    ce = client(session, "ce", endpoint_url=endpoint)
    return lambda: ce.get_cost_and_usage(
        TimePeriod={"Start": "2026-05-01", "End": "2026-05-02"},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
    )


def test_persistent_throttling_makes_exactly_the_attempts_of_one_layer(
    throttling: tuple[str, list[str]],
) -> None:
    endpoint, seen = throttling
    with pytest.raises(UnavailableError, match="still throttled after 4 attempts"):
        call_aws("ce:GetCostAndUsage", _get_costs(endpoint), attempts=4, wait=wait_none())  # type: ignore[arg-type]
    assert len(seen) == 4


def test_a_server_error_is_retried_by_the_one_layer_then_explained(
    failing: tuple[str, list[str]],
) -> None:
    endpoint, seen = failing
    with pytest.raises(UnavailableError, match="InternalServerError"):
        call_aws("ce:GetCostAndUsage", _get_costs(endpoint), attempts=3, wait=wait_none())  # type: ignore[arg-type]
    assert len(seen) == 3
