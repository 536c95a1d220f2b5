"""Retry decisions of our slack_sdk retry handler, without a network and without sleeping."""

from __future__ import annotations

import socket
from urllib.error import URLError

import pytest
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState

from finance_pack.providers.slack import RetryPolicy
from finance_pack.providers.slack.retry import BoundedRetryHandler


def request(method: str) -> HttpRequest:
    return HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})


def make_handler(**overrides: float) -> tuple[BoundedRetryHandler, list[float]]:
    slept: list[float] = []
    settings = {"max_attempts": 4, "max_total_wait_seconds": 10.0, "backoff_base_seconds": 1.0}
    settings.update(overrides)
    policy = RetryPolicy(
        max_attempts=int(settings["max_attempts"]),
        max_total_wait_seconds=settings["max_total_wait_seconds"],
        backoff_base_seconds=settings["backoff_base_seconds"],
        sleep=slept.append,
        random=lambda: 1.0,
    )
    return BoundedRetryHandler(policy), slept


def attempt(
    handler: BoundedRetryHandler,
    state: RetryState,
    method: str = "chat.postMessage",
    response: HttpResponse | None = None,
    error: Exception | None = None,
) -> bool:
    if not handler.can_retry(state=state, request=request(method), response=response, error=error):
        return False
    handler.prepare_for_next_attempt(
        state=state, request=request(method), response=response, error=error
    )
    return True


def test_rate_limit_waits_retry_after_plus_at_most_ten_percent() -> None:
    handler, slept = make_handler()
    limited = HttpResponse(status_code=429, headers={"Retry-After": ["2"]})
    assert attempt(handler, RetryState(), response=limited)
    assert slept == [pytest.approx(2.2)]


def test_server_errors_back_off_exponentially_then_stop_at_max_attempts() -> None:
    handler, slept = make_handler(max_total_wait_seconds=100)
    state = RetryState()
    failing = HttpResponse(status_code=502, headers={})
    results = [attempt(handler, state, "conversations.history", failing) for _ in range(4)]
    assert results == [True, True, True, False]
    assert slept == [1.0, 2.0, 4.0]


def test_total_wait_budget_stops_retries_early() -> None:
    handler, slept = make_handler(max_total_wait_seconds=3.5)
    state = RetryState()
    failing = HttpResponse(status_code=500, headers={})
    assert [attempt(handler, state, "auth.test", failing) for _ in range(3)] == [True, True, False]
    assert sum(slept) <= 3.5


def test_client_errors_and_successes_are_not_retried() -> None:
    handler, _ = make_handler()
    assert not attempt(handler, RetryState(), response=HttpResponse(status_code=404, headers={}))
    assert not attempt(handler, RetryState(), response=HttpResponse(status_code=200, headers={}))


def test_refused_connections_are_retried_for_any_method() -> None:
    handler, _ = make_handler()
    refused = URLError(ConnectionRefusedError(111, "refused"))
    assert attempt(handler, RetryState(), error=refused)
    assert attempt(handler, RetryState(), error=URLError(socket.gaierror(-2, "no name")))


def test_ambiguous_failures_are_retried_only_for_calls_safe_to_repeat() -> None:
    handler, _ = make_handler()
    assert not attempt(handler, RetryState(), "chat.postMessage", error=TimeoutError())
    assert attempt(handler, RetryState(), "conversations.history", error=TimeoutError())


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_on_a_post_is_not_resent_it_may_have_landed(status: int) -> None:
    handler, slept = make_handler()
    failing = HttpResponse(status_code=status, headers={})
    assert not attempt(handler, RetryState(), "chat.postMessage", failing)
    assert not attempt(handler, RetryState(), "files.completeUploadExternal", failing)
    assert attempt(handler, RetryState(), "chat.update", failing)
    assert slept == [pytest.approx(0.5, abs=0.5)]


def test_a_rate_limited_post_is_resent_slack_refused_it() -> None:
    handler, _ = make_handler()
    limited = HttpResponse(status_code=429, headers={})
    assert attempt(handler, RetryState(), "chat.postMessage", limited)
