"""The anomaly-alert SLO: Slack's acknowledgement minus the triggering point's ingestion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cost_watcher_support import EC2, SETTINGS, baseline, dispatcher, hourly
from sqlalchemy import Engine

from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.services.anomaly_slo import anomaly_slo_report

OBJECTIVE, THRESHOLD = Decimal("1.0"), Decimal(300)


def test_alert_latency_is_acknowledgement_minus_ingestion(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    pending = anomaly_slo_report(engine, OBJECTIVE, THRESHOLD, clock.now())
    assert pending.events == 0  # not sent yet, but not late yet either
    clock.advance(timedelta(seconds=42))
    dispatcher(engine, slack_emulator, clock).tick(clock.now())
    report = anomaly_slo_report(engine, OBJECTIVE, THRESHOLD, clock.now())
    assert (report.events, report.good) == (1, 1)
    assert report.p50_seconds == report.p99_seconds == report.max_seconds == Decimal("42.0")


def test_an_alert_still_unsent_after_five_minutes_is_bad(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    clock.advance(timedelta(minutes=6))
    report = anomaly_slo_report(engine, OBJECTIVE, THRESHOLD, clock.now())
    assert (report.events, report.good, report.met) == (1, 0, False)
    assert report.bad_events == ("incident 1",)
