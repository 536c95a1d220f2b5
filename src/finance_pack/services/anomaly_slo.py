"""The anomaly-alert latency SLO: Slack's acknowledgement of each alert minus the ingestion
time of the point that triggered it, from the watcher's own delivery records."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.domain.slo import SloReport, latency_report
from finance_pack.store.alerts import alert_latencies

SLO_NAME = "anomaly_alert_latency"
WINDOW = timedelta(days=30)


def anomaly_slo_report(
    engine: Engine, objective: Decimal, threshold_seconds: Decimal, now: datetime
) -> SloReport:
    """An alert still unsent counts once it is older than the threshold (it can no longer be
    good); one younger than that is not yet decided and is left out."""
    latencies: list[Decimal | None] = []
    labels: list[str] = []
    threshold = timedelta(seconds=float(threshold_seconds))
    for label, ingested_at, acked_at in alert_latencies(engine, now - WINDOW):
        if acked_at is None and now - ingested_at <= threshold:
            continue
        labels.append(label)
        latencies.append(
            None
            if acked_at is None
            else Decimal(str(round((acked_at - ingested_at).total_seconds(), 3)))
        )
    return latency_report(SLO_NAME, objective, "30d", latencies, threshold_seconds, labels)
