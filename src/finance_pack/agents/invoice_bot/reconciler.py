"""The reconciler, a singleton duty: webhooks can be lost, so it reads Stripe's own event log.

Every `interval`, the replica holding the lease lists the invoice events Stripe recorded since
its last checkpoint (with an overlap, since events are listed by second) and applies each one
through the same path as a webhook: de-duplicated by event id, so an event that did arrive
changes nothing. Invoices stuck mid-pipeline need no reconciler: their delivery claim's lease
runs out and the worker takes them over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from finance_pack.domain.invoices import WebhookFact
from finance_pack.providers.stripe import StripeGateway, StripeUnavailableError
from finance_pack.services.invoices import BOT, apply_stripe_event
from finance_pack.store.agent_state import get_value, put_value, take_lease

log = logging.getLogger(__name__)

AGENT = "invoice-bot"
LEASE_KEY = "reconciler_lease"
CHECKPOINT_KEY = "events_checked_until"
OVERLAP = timedelta(minutes=5)
FIRST_LOOK_BACK = timedelta(days=1)


@dataclass
class Reconciler:
    engine: Engine
    stripe: StripeGateway
    replica: str
    interval: timedelta = timedelta(seconds=60)
    _next_run: datetime | None = None

    def tick(self, now: datetime) -> int:
        """Apply missed events when due and this replica holds the duty; how many applied."""
        if self._next_run is not None and now < self._next_run:
            return 0
        self._next_run = now + self.interval
        if not take_lease(self.engine, AGENT, LEASE_KEY, self.replica, now, self.interval * 2):
            return 0
        return self.run(now)

    def run(self, now: datetime) -> int:
        checkpoint = get_value(self.engine, AGENT, CHECKPOINT_KEY)
        since = datetime.fromisoformat(checkpoint) if checkpoint else now - FIRST_LOOK_BACK
        try:
            events = self.stripe.events_since(
                [fact.value for fact in WebhookFact], int((since - OVERLAP).timestamp())
            )
        except StripeUnavailableError as exc:
            log.warning("reconciler: cannot read Stripe's events now: %s", exc)
            return 0
        applied = sum(
            apply_stripe_event(self.engine, event, now, actor=BOT, via="agent") == "applied"
            for event in sorted(events, key=lambda e: (e["created"], e["id"]))
        )
        put_value(self.engine, AGENT, CHECKPOINT_KEY, now.isoformat(), now)
        if applied:
            log.info("reconciler: applied %d event(s) whose webhook had not arrived", applied)
        return applied
