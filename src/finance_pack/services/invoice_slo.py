"""The invoice delivery SLO (DESIGN §5), measured from the invoices' own durable records."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.domain.invoices import latency_seconds
from finance_pack.domain.slo import SloReport, latency_report
from finance_pack.store.invoices import list_invoices

SLO_NAME = "invoice_delivery"
WINDOW = timedelta(days=30)


def invoice_slo_report(
    engine: Engine, objective: Decimal, threshold_seconds: Decimal, now: datetime
) -> SloReport:
    """One event per invoice requested in the last 30 days; its latency is request to confirmed
    delivery. An undelivered invoice counts once its threshold has passed (it can no longer be
    good); before that it is still in flight and not counted."""
    with engine.connect() as connection:
        records = list_invoices(connection, since=now - WINDOW, limit=None)
    threshold = timedelta(seconds=float(threshold_seconds))
    due = [r for r in records if r.delivered_at is not None or r.requested_at + threshold <= now]
    return latency_report(
        SLO_NAME,
        objective,
        "30d",
        [latency_seconds(r.requested_at, r.delivered_at) for r in due],
        threshold_seconds,
        labels=[r.id for r in due],
    )
