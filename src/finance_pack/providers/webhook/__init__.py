"""A generic signed JSON webhook (PagerDuty, Jira or Teams through their inbound webhooks).

The body is JSON; `X-Finance-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
lets the receiver check it came from us and is fresh (the same scheme as Stripe's). One call
is one attempt: retries are the caller's durable deliveries (store/deliveries.py), so an
outage delays a webhook and never drops it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Finance-Signature"
SECRET_ENV = "FINANCE_WATCHER_WEBHOOK_SECRET"


class WebhookError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass
class WebhookSink:
    url: str
    secret: str = field(repr=False)
    timeout_seconds: float = 10.0
    transport: httpx.BaseTransport | None = None

    def send(self, payload: dict[str, Any], now: datetime, idempotency_key: str) -> int:
        body = json.dumps(payload, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, int(now.timestamp()), body),
            "Idempotency-Key": idempotency_key,
        }
        try:
            with httpx.Client(timeout=self.timeout_seconds, transport=self.transport) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise WebhookError(
                f"webhook unreachable: {type(exc).__name__}", permanent=False
            ) from None
        if response.status_code < 300:
            return response.status_code
        retry_after = _retry_after(response.headers.get("Retry-After"))
        transient = response.status_code in (408, 425, 429) or response.status_code >= 500
        raise WebhookError(
            f"webhook answered HTTP {response.status_code}",
            permanent=not transient,
            retry_after=retry_after,
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
