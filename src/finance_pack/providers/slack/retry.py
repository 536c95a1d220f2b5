"""Our one retry policy for Slack, plugged into slack_sdk's own retry mechanism.

slack_sdk retries inside each HTTP call when given `RetryHandler`s. Its built-in handlers sleep
with `time.sleep`, retry only 500/503, and have no bound on the total wait; ours honours
`Retry-After` on 429, retries 5xx and connection failures of calls safe to repeat with
exponential backoff and jitter (a post whose outcome is unknown is never resent here: see
`providers.slack.delivery`),
and stops at `max_attempts` or once waiting longer would exceed `max_total_wait_seconds` (a
Slack answering 429 for minutes must not stall an agent: it gets a `SlackTransientError`).
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    HttpRequest,
    HttpResponse,
    Jitter,
    RetryHandler,
    RetryState,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# Calls that change nothing when repeated: safe to resend after an ambiguous network failure.
IDEMPOTENT_METHODS = frozenset(
    {
        "auth.test",
        "chat.update",
        "conversations.history",
        "conversations.list",
        "files.getUploadURLExternal",
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one Slack call. `sleep` and `random` are injectable for tests."""

    max_attempts: int = 5
    max_total_wait_seconds: float = 60.0
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_wait_seconds < 0 or self.backoff_base_seconds < 0:
            raise ValueError("waits must not be negative")

    def backoff_seconds(self, attempt: int) -> float:
        """Delay before retry number `attempt + 1` (attempt counts from 0)."""
        calculator = BackoffRetryIntervalCalculator(self.backoff_base_seconds, _CappedJitter(self))
        return float(calculator.calculate_sleep_duration(attempt))

    def rate_limit_seconds(self, retry_after: float) -> float:
        """Slack's Retry-After plus up to 10 % so that many clients do not return at once."""
        return retry_after * (1 + 0.1 * self.random())


class _CappedJitter(Jitter):
    """ "Equal jitter": half the capped exponential delay, plus a random part of the other half."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def recalculate(self, duration: float) -> float:
        capped = min(duration, self.policy.backoff_cap_seconds)
        return capped / 2 + capped / 2 * self.policy.random()


def retry_after_seconds(headers: Mapping[str, Any]) -> float | None:
    """Seconds from a `Retry-After` header (slack_sdk passes values as str or list of str)."""
    for name, value in headers.items():
        if name.lower() != "retry-after" or not value:
            continue
        first = value if isinstance(value, str) else value[0]
        try:
            return max(0.0, float(first))
        except ValueError:
            return None  # an HTTP date: Slack sends seconds, so fall back to our backoff
    return None


def _api_method(request: HttpRequest) -> str:
    return urlparse(request.url).path.rsplit("/", 1)[-1]


def never_sent(error: Exception) -> bool:
    """True when the request surely never reached Slack (refused, or the name did not resolve)."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _is_network_error(error: Exception) -> bool:
    return isinstance(error, URLError | ConnectionError | RemoteDisconnected | TimeoutError)


class BoundedRetryHandler(RetryHandler):
    """One slack_sdk retry handler for 429, 5xx and network failures, within a budget."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__(max_retry_count=policy.max_attempts - 1)
        self.policy = policy

    def _delay(
        self,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None,
        error: Exception | None,
    ) -> float | None:
        if response is not None:
            if response.status_code == 429:
                retry_after = retry_after_seconds(response.headers)
                if retry_after is not None:
                    return self.policy.rate_limit_seconds(retry_after)
            if response.status_code in RETRYABLE_STATUSES:
                if response.status_code != 429 and _api_method(request) not in IDEMPOTENT_METHODS:
                    # A 5xx may come from a proxy after Slack took the post: resending could
                    # post twice, so the caller looks the message up by its metadata first.
                    return None
                return self.policy.backoff_seconds(state.current_attempt)
            return None
        if error is None or not _is_network_error(error):
            return None
        if never_sent(error) or _api_method(request) in IDEMPOTENT_METHODS:
            return self.policy.backoff_seconds(state.current_attempt)
        return None  # a post may have landed: the caller must look before posting again

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        delay = self._delay(state, request, response, error)
        if delay is None:
            return False
        values = state.custom_values if state.custom_values is not None else {}
        if values.get("waited", 0.0) + delay > self.policy.max_total_wait_seconds:
            return False
        values["next_delay"] = delay
        state.custom_values = values
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        values = state.custom_values if state.custom_values is not None else {}
        delay = float(values.pop("next_delay", 0.0))
        why = f"HTTP {response.status_code}" if response is not None else type(error).__name__
        logger.warning(
            "Slack %s answered %s; retry %d of %d in %.1f s",
            _api_method(request),
            why,
            state.current_attempt + 1,
            self.max_retry_count,
            delay,
        )
        state.next_attempt_requested = True
        self.policy.sleep(delay)
        values["waited"] = values.get("waited", 0.0) + delay
        state.custom_values = values
        state.increment_current_attempt()
