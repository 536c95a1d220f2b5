"""The emulated Stripe account's state: its objects, its event log and how events go out.

Operations (invoicing.py, emulator.py) change the objects under `_lock` and record an event
for each state change with `_emit`, which also queues it for every matching endpoint.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from finance_pack.sandbox.slack.faults import FaultPlan
from finance_pack.sandbox.stripe import objects
from finance_pack.sandbox.stripe.errors import StripeApiError, filtered, missing
from finance_pack.sandbox.stripe.forms import FormError, matches, parse_search
from finance_pack.sandbox.stripe.idempotency import IdempotencyStore
from finance_pack.sandbox.stripe.refusals import RefusalPlan
from finance_pack.sandbox.stripe.webhooks import WebhookDispatcher

DEFAULT_API_KEY = "sk_test_emulator"


@dataclass
class RequestContext:
    request_id: str
    idempotency_key: str | None


class Ledger:
    """The account's objects, events and endpoints' deliveries; thread-safe."""

    def __init__(
        self,
        api_keys: tuple[str, ...] = (DEFAULT_API_KEY,),
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        webhook_attempts: int = 6,
        webhook_backoff_seconds: float = 0.5,
    ) -> None:
        self.api_keys = api_keys
        self.wall_clock = wall_clock
        self.monotonic = monotonic
        self.public_url = "http://127.0.0.1/"
        self.faults = FaultPlan()
        self.webhooks = WebhookDispatcher(
            attempts=webhook_attempts, backoff_seconds=webhook_backoff_seconds
        )
        self.customers: dict[str, dict[str, Any]] = {}
        self.invoice_items: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []  # (method, path) of every accepted request
        self.idempotency = IdempotencyStore()
        self.refusals = RefusalPlan()
        self._lock = threading.RLock()
        self._numbers = 0

    def now(self) -> int:
        return int(self.wall_clock())

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            "customer": self.customers,
            "invoice": self.invoices,
            "invoiceitem": self.invoice_items,
            "webhook_endpoint": self.endpoints,
        }[kind]

    def _emit(self, event_type: str, obj: dict[str, Any], ctx: RequestContext | None) -> None:
        event = objects.event(
            self.now(),
            event_type,
            copy.deepcopy(obj),
            ctx.request_id if ctx else None,
            ctx.idempotency_key if ctx else None,
        )
        targets = [
            e
            for e in self.endpoints.values()
            if e["status"] == "enabled"
            and ("*" in e["enabled_events"] or event_type in e["enabled_events"])
        ]
        event["pending_webhooks"] = len(targets)
        self.events.append(event)
        for endpoint in targets:
            self.webhooks.enqueue(endpoint["url"], endpoint["secret"], event)

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            obj = self._table(kind).get(object_id)
            if obj is None:
                raise missing(kind, object_id)
            return copy.deepcopy(obj)

    def search(self, kind: str, query: str) -> list[dict[str, Any]]:
        try:
            clauses = parse_search(query)
        except FormError as exc:
            raise StripeApiError(400, str(exc), param="query") from exc
        table = self.customers if kind == "customer" else self.invoices
        with self._lock:
            found = [copy.deepcopy(o) for o in table.values() if matches(o, clauses)]
        return list(reversed(found))

    def list_of(self, kind: str, filters: dict[str, str]) -> list[dict[str, Any]]:
        with self._lock:
            rows = [copy.deepcopy(o) for o in self._table(kind).values() if filtered(o, filters)]
            if kind == "webhook_endpoint":
                for row in rows:
                    row.pop("secret", None)  # Stripe shows the secret only at creation
        return list(reversed(rows))  # newest first: objects are kept in creation order

    def list_events(self, filters: dict[str, str], created_gte: int | None) -> list[dict[str, Any]]:
        with self._lock:
            rows = [
                copy.deepcopy(e)
                for e in self.events
                if (created_gte is None or e["created"] >= created_gte) and filtered(e, filters)
            ]
        return list(reversed(rows))

    def close(self) -> None:
        self.webhooks.close()
