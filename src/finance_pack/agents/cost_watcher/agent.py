"""The Cost Watcher agent: polls CloudWatch billing, sends queued alerts, feeds the cost store.

Pushed points (`POST /v1/costs/stream`) reach the watcher through the API; this loop adds the
CloudWatch `EstimatedCharges` series (cumulative, turned into per-interval spend across the
monthly reset) and FOCUS/CUR files landing in the inbox folder, and delivers whatever alerts
are due. It ticks often (every
`idle` when nothing is pending) because an alert should leave seconds after its point arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from finance_pack.agents.cost_watcher.dispatch import AlertDispatcher
from finance_pack.agents.cost_watcher.inbox import Inbox
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.domain.anomaly.points import PointError, StreamPoint
from finance_pack.domain.costs import billing_period_start
from finance_pack.providers.aws.cloudwatch import BillingPoller, BillingSpend
from finance_pack.store import alerts as store

log = logging.getLogger(__name__)

#: Hands streamed points to the cost store; returns nothing, raises to retry later.
CostStoreSink = Callable[[Sequence[object]], None]


def billing_points(spend: Sequence[BillingSpend]) -> list[StreamPoint]:
    points = []
    for item in spend:
        dims = {"provider": "aws"}
        if item.series.linked_account:
            dims["account"] = item.series.linked_account
        if item.series.service:
            dims["service"] = item.series.service
        for interval in item.intervals:
            if interval.end > interval.start:  # a sample exactly at the monthly reset
                points.append(
                    StreamPoint(
                        tuple(sorted(dims.items())),
                        interval.start,
                        interval.end,
                        interval.amount,
                        item.series.currency,
                    )
                )
    return points


@dataclass
class CostWatcherAgent:
    watcher: CostWatcher
    dispatcher: AlertDispatcher
    poller: BillingPoller | None = None
    poll_every: timedelta = timedelta(minutes=5)
    idle: timedelta = timedelta(milliseconds=200)
    cost_store_sink: CostStoreSink | None = None
    inbox: Inbox | None = None
    scan_every: timedelta = timedelta(seconds=30)
    _next_poll: datetime | None = field(default=None, init=False)
    _next_scan: datetime | None = field(default=None, init=False)

    def tick(self, now: datetime) -> datetime:
        if self.poller is not None and (self._next_poll is None or now >= self._next_poll):
            self.poll_cloudwatch(now)
            self._next_poll = now + self.poll_every
        if self.inbox is not None and (self._next_scan is None or now >= self._next_scan):
            self.inbox.scan(now)
            self._next_scan = now + self.scan_every
        self.dispatcher.tick(now)
        if self.cost_store_sink is not None:
            self.flush_to_cost_store(now)
        return now + self.idle

    def poll_cloudwatch(self, now: datetime) -> int:
        """Ingest the month's billing intervals so far (from the previous month's start, so
        the intervals just before a monthly reset are not lost); repeats are ignored."""
        assert self.poller is not None
        start = billing_period_start(billing_period_start(now) - timedelta(days=1))
        points = billing_points(self.poller.poll(start, now))
        try:
            result = self.watcher.ingest(points, now, source="cloudwatch")
        except PointError as exc:
            log.error("CloudWatch billing points refused: %s", exc)
            return 0
        return result.accepted

    def flush_to_cost_store(self, now: datetime) -> int:
        """The separate step that copies streamed points into the cost store."""
        assert self.cost_store_sink is not None
        rows = store.points_for_cost_store(self.watcher.engine)
        if not rows:
            return 0
        self.cost_store_sink(rows)
        store.mark_in_cost_store(self.watcher.engine, [row.id for row in rows], now)
        return len(rows)
