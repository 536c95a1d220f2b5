from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from finance_pack.access.actors import Actor
from finance_pack.config import FinanceConfig
from finance_pack.services.customers import add_customer
from finance_pack.services.invoice_slo import invoice_slo_report
from finance_pack.services.invoices import InvoiceRequest, request_invoice
from finance_pack.store.engine import make_engine
from finance_pack.store.invoices import change_invoice, get_invoice
from finance_pack.store.migrate import upgrade

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CATALYST = Actor("user:gina@example.com", (), frozenset({"invoices:create"}), "test", "cli")


def test_latency_percentiles_and_the_five_minute_objective(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.db")
    upgrade(engine)
    add_customer(
        engine,
        CATALYST,
        customer_id="acme",
        name="Acme",
        email=None,
        slack_channel=None,
        currency="USD",
        now=NOW,
    )
    # Delivered after 10 s, 60 s and 400 s; one still in flight (2 min old); one lost (1 h old).
    cases = [
        (timedelta(hours=2), 10),
        (timedelta(hours=2), 60),
        (timedelta(hours=2), 400),
        (timedelta(minutes=2), None),
        (timedelta(hours=1), None),
    ]
    for age, latency in cases:
        requested = NOW - age
        record, _ = request_invoice(
            engine,
            FinanceConfig(),
            CATALYST,
            InvoiceRequest("acme", "1.00", "usd", None, 30),
            idempotency_key=None,
            now=requested,
        )
        if latency is not None:
            with engine.begin() as connection:
                current = get_invoice(connection, record.id)
                assert current is not None
                change_invoice(
                    connection,
                    current,
                    {"stage": "delivered", "delivered_at": requested + timedelta(seconds=latency)},
                    now=NOW,
                )
    report = invoice_slo_report(engine, Decimal("0.99"), Decimal(300), NOW)
    assert (report.events, report.good) == (4, 2)
    assert (report.p50_seconds, report.p99_seconds, report.max_seconds) == (
        Decimal(60),
        Decimal(400),
        Decimal(400),
    )
    assert report.attainment == Decimal("0.5000") and report.met is False
    assert report.error_budget_remaining == Decimal("-49.0000")
