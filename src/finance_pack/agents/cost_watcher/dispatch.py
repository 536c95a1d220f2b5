"""Sends the queued alerts: Slack (one message per incident, its updates and resolution in
its thread) and the optional webhook. Every delivery is a claimed row (store/deliveries.py):
a failure is retried with backoff (Retry-After honoured), a crash mid-post is recovered by
looking the message up in Slack by its metadata, and nothing is dropped or posted twice.
Posts are paced per channel by the Slack gateway (about one a second, Slack's limit).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from finance_pack.agents.cost_watcher.messages import blocks, incident_text, thread_text
from finance_pack.clock import SYSTEM_CLOCK, Clock
from finance_pack.domain.incidents import Incident
from finance_pack.providers.slack import (
    MessageMetadata,
    PostedMessage,
    SlackGateway,
    SlackPermanentError,
    SlackTransientError,
)
from finance_pack.providers.slack.delivery import post_once
from finance_pack.providers.webhook import WebhookError, WebhookSink
from finance_pack.store import alerts as store
from finance_pack.store.deliveries import Claim, mark_posted, mark_retry, try_claim
from finance_pack.store.watcher_tables import watcher_deliveries

log = logging.getLogger(__name__)
EVENT_TYPE = "cost_watcher_incident"


@dataclass
class AlertDispatcher:
    engine: Engine
    gateway: SlackGateway | None
    channel: str
    replica: str
    webhook: WebhookSink | None = None
    dashboard_url: str | None = None
    clock: Clock = SYSTEM_CLOCK
    lease: timedelta = timedelta(minutes=2)
    batch: int = 200
    max_per_minute: int = 20  # new alerts, all incidents together (watcher.max_alerts_per_minute)
    _recent: deque[datetime] = field(default_factory=deque, init=False)

    def tick(self, now: datetime) -> int:
        """Send what is due; returns how many deliveries completed."""
        rows = store.due_deliveries(self.engine, now, self.batch)
        threads = store.opening_posts(
            self.engine, [r.incident_id for r in rows if r.kind != "open"], "slack"
        )
        done = 0
        for row in rows:
            if row.sink == "slack" and row.kind != "open" and row.incident_id not in threads:
                continue  # the thread starts with the alert itself: wait for it
            if row.sink == "slack" and row.kind == "open" and not self._slack_budget(now):
                continue  # over the per-minute budget: it stays queued for a later tick
            claim = try_claim(
                self.engine,
                watcher_deliveries,
                {"id": row.id},
                replica=self.replica,
                now=now,
                lease=self.lease,
            )
            if claim is None:
                continue
            done += self._deliver(row, claim, threads.get(row.incident_id), now)
        return done

    def _slack_budget(self, now: datetime) -> bool:
        """True (and counted) while fewer than `max_per_minute` new alerts went out in the
        last minute: a storm of incidents is spread out instead of flooding the channel.
        Updates and resolutions go in their alert's thread, not the channel, so they are
        paced (Slack's one post a second) but not budgeted: a storm never holds back the
        news that an incident is over."""
        while self._recent and self._recent[0] <= now - timedelta(minutes=1):
            self._recent.popleft()
        if len(self._recent) >= self.max_per_minute:
            return False
        self._recent.append(now)
        return True

    def _deliver(self, row: Any, claim: Claim, thread: Any, now: datetime) -> bool:
        payload = json.loads(row.payload_json)
        incident = self._current(row.incident_id) or Incident.from_json(payload["incident"])
        try:
            if row.sink == "webhook":
                posted = self._webhook(row, payload, now)
            else:
                posted = self._slack(row, claim, incident, thread)
        except (SlackPermanentError, WebhookError, SlackTransientError) as exc:
            permanent = getattr(exc, "permanent", isinstance(exc, SlackPermanentError))
            retry_after = getattr(exc, "retry_after", None)
            log.warning(
                "alert %s/%s for incident %s not sent: %s", row.sink, row.kind, row.incident_id, exc
            )
            mark_retry(
                self.engine,
                watcher_deliveries,
                claim,
                self.replica,
                error=str(exc),
                now=now,
                permanent=bool(permanent),
                retry_after=timedelta(seconds=retry_after) if retry_after else None,
            )
            return False
        mark_posted(
            self.engine,
            watcher_deliveries,
            claim,
            self.replica,
            channel_id=posted.channel_id,
            ts=posted.ts,
            posted_at=self.clock.now(),
        )
        return True

    def _current(self, incident_id: int) -> Incident | None:
        """The incident as it is now: an alert sent late says what is true when it is sent."""
        with self.engine.connect() as connection:
            stored = store.get_incident(connection, incident_id)
        return None if stored is None else stored.incident

    def _slack(self, row: Any, claim: Claim, incident: Incident, thread: Any) -> PostedMessage:
        if self.gateway is None:
            raise SlackPermanentError("not_configured", self.channel)
        text = incident_text(incident, row.incident_id, self.dashboard_url)
        metadata = MessageMetadata(EVENT_TYPE, f"incident:{row.incident_id}", {"kind": "open"})
        if row.kind == "open":
            gateway = self.gateway
            return post_once(
                gateway,
                self.channel,
                metadata,
                lambda: gateway.post_message(self.channel, text, blocks(text), metadata=metadata),
                maybe_posted=claim.attempts > 1,  # an earlier attempt may have reached Slack
                oldest=incident.first_seen - timedelta(days=1),
            ).message
        reply = thread_text(incident, row.incident_id, row.kind)
        posted = self.gateway.post_message(
            thread.channel_id, reply, blocks(reply), thread_ts=thread.message_ts
        )
        self.gateway.update_message(
            thread.channel_id, thread.message_ts, text, blocks(text), metadata=metadata
        )
        return posted

    def _webhook(self, row: Any, payload: dict[str, Any], now: datetime) -> PostedMessage:
        if self.webhook is None:
            raise WebhookError("no webhook configured", permanent=True)
        body = {"event": f"incident.{row.kind}", **payload}
        key = f"incident-{row.incident_id}-{row.kind}-{row.seq}"
        status = self.webhook.send(body, now, key)
        return PostedMessage(channel_id="webhook", ts=str(status))
