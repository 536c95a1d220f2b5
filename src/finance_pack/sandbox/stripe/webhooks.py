"""Signed event delivery to registered endpoints, retried when an endpoint fails.

Stripe signs `"{t}.{payload}"` with HMAC-SHA256 under the endpoint's `whsec_` secret and sends
`Stripe-Signature: t=<unix>,v1=<hex>`. Failed deliveries are retried with backoff (Stripe spaces
retries over days; the sandbox over seconds). Faults on demand: drop the next events, or hold
every delivery back for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    secret: str = field(compare=False)
    event: dict[str, Any] = field(compare=False)
    attempt: int = field(compare=False, default=1)


@dataclass
class DeliveryFaults:
    drop_next: int = 0
    delay_seconds: float = 0.0


class WebhookDispatcher:
    """Worker threads delivering events in due order; `attempts` caps retries per event."""

    def __init__(
        self,
        *,
        workers: int = 4,
        attempts: int = 6,
        backoff_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.faults = DeliveryFaults()
        self.delivered: list[tuple[str, str, int]] = []  # (event id, url, status)
        self._clock = clock
        self._queue: queue.PriorityQueue[_Delivery] = queue.PriorityQueue()
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=10.0)
        self._threads = [
            threading.Thread(target=self._run, name=f"stripe-webhooks-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, url: str, secret: str, event: dict[str, Any]) -> None:
        with self._lock:
            if self.faults.drop_next > 0:
                self.faults.drop_next -= 1
                log.info("dropping %s for %s (fault)", event["id"], url)
                return
            self._seq += 1
            due = self._clock() + self.faults.delay_seconds
            self._queue.put(_Delivery(due, self._seq, url, secret, event))

    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            wait = item.due - self._clock()
            if wait > 0:
                self._queue.put(item)
                self._stop.wait(min(wait, 0.05))
                continue
            self._deliver(item)

    def _deliver(self, item: _Delivery) -> None:
        payload = json.dumps(item.event).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, item.secret, int(time.time())),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            status = self._client.post(item.url, content=payload, headers=headers).status_code
        except httpx.HTTPError as exc:
            log.info("webhook %s to %s failed: %s", item.event["id"], item.url, exc)
            status = 0
        with self._lock:
            self.delivered.append((item.event["id"], item.url, status))
        if 200 <= status < 300 or item.attempt >= self.attempts:
            return
        with self._lock:
            self._seq += 1
            backoff = self.backoff_seconds * 2 ** (item.attempt - 1)
            retry = _Delivery(self._clock() + backoff, self._seq, item.url, item.secret, item.event)
            retry.attempt = item.attempt + 1
            self._queue.put(retry)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._client.close()
