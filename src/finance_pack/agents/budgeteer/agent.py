"""The Budgeteer agent: one summary per channel and scheduled slot, exactly once, and alerts.

Each tick posts the latest slot's summary (weekly by default; any cron) to every channel that
lacks it (marked late after the grace window: a summary missed during downtime is caught up
once on start), posts each newly crossed threshold once per budget and month, and says when it
next needs to run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, Table

from finance_pack.agents.budgeteer.chart import render_chart
from finance_pack.agents.budgeteer.freshness import (
    FRESHNESS_EVENT,
    due_alert,
    freshness_message,
    latest_alert,
)
from finance_pack.agents.budgeteer.summary import SlackMessage, threshold_alert, weekly_summary
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import BudgetFailure, Threshold, ThresholdBasis
from finance_pack.domain.cadence import Schedule, slot_key, slot_label
from finance_pack.domain.kpis import DEFAULT_STALE_AFTER, KpiReport, MonthBeforeDataError
from finance_pack.providers.slack import (
    MessageMetadata,
    PostedMessage,
    SlackGateway,
    SlackPermanentError,
    SlackTransientError,
)
from finance_pack.providers.slack.delivery import post_once
from finance_pack.store.agent_state import set_if_absent
from finance_pack.store.deliveries import (
    Claim,
    adopt_week_keyed_post,
    mark_posted,
    mark_retry,
    next_retry_at,
    try_claim,
)
from finance_pack.store.tables import budgeteer_posts, freshness_alerts, threshold_alerts

log = logging.getLogger(__name__)

AGENT = "budgeteer"
SUMMARY_EVENT = "budgeteer_weekly_summary"
ALERT_EVENT = "budgeteer_threshold_alert"
CHARTS_PER_SUMMARY = 3
THRESHOLD_CHECK_INTERVAL = timedelta(minutes=15)

#: Snapshots of every budget as of `now` (a budget that cannot be computed is a BudgetFailure);
#: raises MonthBeforeDataError when there is no data.
SnapshotSource = Callable[[datetime, bool], Sequence[BudgetSnapshot | BudgetFailure]]


def _alone(message: SlackMessage) -> tuple[SlackMessage, list[BudgetSnapshot]]:
    return message, []


@dataclass
class Budgeteer:
    engine: Engine
    gateway: SlackGateway
    snapshots: SnapshotSource
    schedule: Schedule
    channels: Sequence[str]
    alerts_channel: str
    replica: str
    timezone: str = "UTC"
    lease: timedelta = timedelta(minutes=10)
    charts: bool = True
    #: Newest data instant per provider (the cost store's freshness); None: no freshness alerts.
    freshness: Callable[[], Mapping[str, datetime]] | None = None
    stale_after: timedelta = DEFAULT_STALE_AFTER
    _since: datetime | None = field(default=None, init=False)
    # A tick posts to several channels; each budget's chart is drawn once, not once per channel.
    _charts: dict[BudgetSnapshot, bytes] = field(default_factory=dict, init=False)

    def since(self, now: datetime) -> datetime:
        """When this Budgeteer first ran: slots before it were never due."""
        if self._since is None:
            self._since = datetime.fromisoformat(
                set_if_absent(self.engine, AGENT, "since", now.isoformat(), now)
            )
        return self._since

    def tick(self, now: datetime) -> datetime:
        since = self.since(now)
        slot = self.schedule.latest_slot(now)
        if slot >= since:
            for channel in self.channels:
                self.post_weekly(channel, slot, now)
        self.check_thresholds(now)
        self.check_freshness(now)
        upcoming = [self.schedule.next_slot(now), now + THRESHOLD_CHECK_INTERVAL]
        for table in (budgeteer_posts, threshold_alerts, freshness_alerts):
            # a retry falling due, or a killed replica's claim whose lease runs out (taken over)
            claimable = next_retry_at(self.engine, table, after=now)
            if claimable is not None:
                upcoming.append(claimable)
        return min(upcoming)

    def post_weekly(self, channel: str, slot: datetime, now: datetime) -> bool:
        """Post `slot`'s summary to `channel` unless posted or held; True if it is in Slack."""
        key = slot_key(slot, self.schedule.timezone)
        adopt_week_keyed_post(self.engine, channel, slot, key)
        late = now > slot + self.schedule.grace
        summary = partial(self._summary, slot_label(slot, self.schedule.timezone), now, late)
        payload: dict[str, object] = {"slot": key}
        return self._post_summary(channel, key, slot, late, payload, summary, now) is not None

    def run_now(self, now: datetime, channels: Sequence[str] | None = None) -> list[str]:
        """A manual summary to each channel now; it never counts as (or replaces) a weekly one.
        Slack errors are raised: whoever asked is waiting for the answer."""
        key = "manual-" + now.strftime("%Y%m%dT%H%M%S")
        week = slot_label(now, self.schedule.timezone) + " (on request)"
        summary = partial(self._summary, week, now, False)
        return [
            channel
            for channel in channels or self.channels
            if self._post_summary(
                channel, key, now, False, {"manual": True}, summary, now, raise_errors=True
            )
            is not None
        ]

    def _post_summary(
        self,
        channel: str,
        key: str,
        slot: datetime,
        late: bool,
        payload: dict[str, object],
        build: Callable[[], tuple[SlackMessage, list[BudgetSnapshot]]],
        now: datetime,
        *,
        raise_errors: bool = False,
    ) -> PostedMessage | None:
        claim = try_claim(
            self.engine,
            budgeteer_posts,
            {"channel": channel, "slot_key": key},
            replica=self.replica,
            now=now,
            lease=self.lease,
            extra={"slot_at": slot, "late": late},
        )
        if claim is None:
            return None
        metadata = MessageMetadata(SUMMARY_EVENT, f"{channel}:{key}", payload)
        return self._deliver(
            claim,
            budgeteer_posts,
            channel,
            metadata,
            now,
            build,
            oldest=slot - timedelta(days=1),
            raise_errors=raise_errors,
        )

    def check_thresholds(self, now: datetime) -> int:
        """Post newly crossed thresholds once per budget, threshold and month; returns how many.

        When several thresholds of one basis are crossed at once (a budget found at 120 % on
        its first check), one alert names the highest and records the lower ones as covered by
        it, instead of sending a burst of alerts about the same fact.
        """
        try:
            snapshots = self.snapshots(now, False)
        except MonthBeforeDataError:
            return 0
        count = 0
        for snapshot in snapshots:
            if isinstance(snapshot, BudgetFailure):
                log.warning("budget %s not checked: %s", snapshot.budget, snapshot.error)
                continue
            report = snapshot.report
            for basis in ThresholdBasis:
                crossed = sorted(
                    (t for t in report.thresholds_crossed if t.basis is basis), reverse=True
                )
                if crossed and self._alert(report, crossed[0], crossed[1:], now):
                    count += 1
        return count

    def check_freshness(self, now: datetime) -> int:
        """Post each provider's stale episode once, and its recovery once; returns how many."""
        if self.freshness is None:
            return 0
        count = 0
        for provider, as_of in sorted(self.freshness().items()):
            latest = latest_alert(self.engine, provider)
            alert = due_alert(provider, as_of, now, self.stale_after, latest)
            if alert is None:
                continue
            claim = try_claim(
                self.engine,
                freshness_alerts,
                alert.key,
                replica=self.replica,
                now=now,
                lease=self.lease,
            )
            if claim is None:
                continue
            metadata = MessageMetadata(FRESHNESS_EVENT, f"{provider}:{alert.episode}:{alert.kind}")
            message = freshness_message(alert, as_of, now)
            posted = self._deliver(
                claim,
                freshness_alerts,
                self.alerts_channel,
                metadata,
                now,
                partial(_alone, message),
                oldest=as_of,
            )
            count += posted is not None
        return count

    def _alert(
        self, report: KpiReport, highest: Threshold, covered: Sequence[Threshold], now: datetime
    ) -> bool:
        month = str(report.month)

        def claim_for(threshold: Threshold) -> Claim | None:
            key = {"budget": report.budget, "threshold": str(threshold), "month": month}
            return try_claim(
                self.engine, threshold_alerts, key, replica=self.replica, now=now, lease=self.lease
            )

        claim = claim_for(highest)
        if claim is None:
            return False
        metadata = MessageMetadata(ALERT_EVENT, f"{report.budget}:{highest}:{month}")
        message = threshold_alert(report, str(highest), [str(t) for t in sorted(covered)])
        posted = self._deliver(
            claim,
            threshold_alerts,
            self.alerts_channel,
            metadata,
            now,
            partial(_alone, message),
            oldest=report.month.start,
        )
        if posted is None:
            return False
        for threshold in covered:
            lower = claim_for(threshold)
            if lower is not None:
                self._record(threshold_alerts, lower, posted, now)
        return True

    def _summary(
        self, week: str, now: datetime, late: bool
    ) -> tuple[SlackMessage, list[BudgetSnapshot]]:
        month = BillingMonth.containing(now, self.timezone)
        try:
            items = list(self.snapshots(now, True))
        except MonthBeforeDataError as exc:
            note = (
                f":hourglass: No cost data for {month} yet ({exc.message}). "
                "Ingest it with `brctl finance ingest`."
            )
            return weekly_summary([], week, late=late, month=str(month), note=note), []
        snapshots = [item for item in items if isinstance(item, BudgetSnapshot)]
        failures = [item for item in items if isinstance(item, BudgetFailure)]
        if snapshots:
            month = snapshots[0].report.month
        message = weekly_summary(snapshots, week, late=late, month=str(month), failures=failures)
        return message, snapshots

    def _deliver(
        self,
        claim: Claim,
        table: Table,
        channel: str,
        metadata: MessageMetadata,
        now: datetime,
        build: Callable[[], tuple[SlackMessage, list[BudgetSnapshot]]],
        *,
        oldest: datetime,
        raise_errors: bool = False,
    ) -> PostedMessage | None:
        snapshots: list[BudgetSnapshot] = []

        def post() -> PostedMessage:
            message, built = build()
            snapshots.extend(built)
            return self.gateway.post_message(
                channel, message.text, message.blocks, metadata=metadata
            )

        try:
            delivered = post_once(
                self.gateway,
                channel,
                metadata,
                post,
                maybe_posted=claim.maybe_posted,
                oldest=oldest,
            )
            posted = delivered.message
            self._record(table, claim, posted, now)
            if delivered.found:
                log.info("%s already in %s (found by metadata); recorded", metadata.key, channel)
                return posted
        except SlackPermanentError as exc:
            if not raise_errors:  # a caller that gets the error reports it: say it once
                log.error("cannot post %s to %s: %s", metadata.key, channel, exc)
            mark_retry(
                self.engine, table, claim, self.replica, error=str(exc), now=now, permanent=True
            )
            if raise_errors:
                raise
            return None
        except SlackTransientError as exc:
            if not raise_errors:
                log.warning("posting %s to %s failed for now: %s", metadata.key, channel, exc)
            retry_after = timedelta(seconds=exc.retry_after) if exc.retry_after else None
            mark_retry(
                self.engine,
                table,
                claim,
                self.replica,
                error=str(exc),
                now=now,
                permanent=False,
                retry_after=retry_after,
            )
            if raise_errors:
                raise
            return None
        if self.charts:
            self._upload_charts(channel, posted.ts, snapshots)
        return posted

    def _chart(self, snapshot: BudgetSnapshot) -> bytes:
        if snapshot not in self._charts:
            if len(self._charts) > 64:
                self._charts.clear()
            self._charts[snapshot] = render_chart(snapshot)
        return self._charts[snapshot]

    def _record(self, table: Table, claim: Claim, message: PostedMessage, now: datetime) -> None:
        mark_posted(
            self.engine,
            table,
            claim,
            self.replica,
            channel_id=message.channel_id,
            ts=message.ts,
            posted_at=now,
        )

    def _upload_charts(
        self, channel: str, thread_ts: str, snapshots: Sequence[BudgetSnapshot]
    ) -> None:
        """Charts go into the summary's thread; the summary is already delivered, so a failed
        upload is logged, not retried as a second summary."""
        worst = sorted(snapshots, key=lambda s: -(s.report.consumption_forecast_pct or 0))
        for snapshot in worst[:CHARTS_PER_SUMMARY]:
            if snapshot.report.no_spend_in_scope:
                continue
            name = snapshot.report.budget
            try:
                self.gateway.upload_file(
                    channel,
                    f"{name}-{snapshot.report.month}.png",
                    self._chart(snapshot),
                    title=f"{name} · {snapshot.report.month}",
                    thread_ts=thread_ts,
                )
            except (SlackPermanentError, SlackTransientError) as exc:
                log.warning("chart for %s not uploaded to %s: %s", name, channel, exc)
