"""The webhook sink: signed JSON to a real loopback receiver, retried until it answers 2xx."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cost_watcher_support import EC2, baseline, dispatcher, hourly
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, select

from finance_pack.agents.cost_watcher.settings import WatcherSettings
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.domain.anomaly import DetectorSettings
from finance_pack.providers.webhook import SIGNATURE_HEADER, WebhookSink
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.watcher_tables import watcher_deliveries

SECRET = "whsec-test-0123456789"


class Receiver:
    def __init__(self) -> None:
        self.statuses = [503]  # the first call fails, the rest succeed
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            self.received.append((await request.body(), dict(request.headers)))
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({}, status_code=status)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with BackgroundServer(receiver.app, name="webhook-receiver").start() as server:
        yield receiver, f"{server.url}hook"


def verify(body: bytes, header: str) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    mac = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), parts["v1"])


def test_an_alert_reaches_the_webhook_signed_after_a_failed_attempt(
    engine: Engine,
    clock: FakeClock,
    slack_emulator: RunningSlackEmulator,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    settings = WatcherSettings(default=DetectorSettings(), webhook_url=url)
    watcher = CostWatcher(engine, settings)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    sender = dispatcher(engine, slack_emulator, clock)
    sender.webhook = WebhookSink(url, SECRET)
    sender.tick(clock.now())
    clock.advance(timedelta(minutes=5))
    sender.tick(clock.now())
    assert len(hook.received) == 2
    body, headers = hook.received[-1]
    assert verify(body, headers[SIGNATURE_HEADER.lower()])
    assert not verify(body + b" ", headers[SIGNATURE_HEADER.lower()])
    assert b'"event": "incident.open"' in body and b"400.00" in body
    assert headers["idempotency-key"] == "incident-1-open-0"
    with engine.connect() as connection:
        rows: list[Any] = connection.execute(
            select(watcher_deliveries.c.sink, watcher_deliveries.c.state)
        ).all()
    assert sorted(map(tuple, rows)) == [("slack", "posted"), ("webhook", "posted")]
