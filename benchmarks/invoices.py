"""What the Invoice Bot delivers: request -> delivered latency under load, and webhook throughput.

    .venv/bin/python benchmarks/invoices.py [--rate 20] [--seconds 60] [--channels 20]
                                            [--pacing both|on|off] [--events 5000] [--json PATH]

All in-process on loopback: the pack installed into a temporary target (SQLite state store),
our Stripe and Slack emulators, the pack's API receiving Stripe's signed webhooks, and the
Invoice Bot running in its agent loop. (a) Invoices are requested at `--rate` per second for
`--seconds` (spread over `--channels` customers, one Slack channel each); latency is request to
confirmed delivery (Slack posted and Stripe's `invoice.sent` webhook in), with the Slack
adapter's pacing (1 post/s per channel) on and off; invoices still undelivered when it stops
waiting, and duplicated ones, are counted
(Stripe invoices and Slack messages per request). (b) Signed events (10 % replays) are posted
to `POST /v1/webhooks/stripe` from 8 threads: verified, de-duplicated events per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import stripe
from _report import emit

from brctl.install import apply_plan, plan_install
from brctl.packs import get_pack
from finance_pack.access.actors import Actor
from finance_pack.agents.invoice_bot.factory import build_invoice_bot
from finance_pack.agents.runtime import AgentLoop
from finance_pack.api.app import create_app
from finance_pack.context import PackContext, load_context
from finance_pack.providers.slack import SlackSettings, SlackWebGateway
from finance_pack.sandbox.demo_invoices import INVOICE_EVENTS
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.slack import DEFAULT_CHANNELS, EmulatedChannel
from finance_pack.sandbox.stripe import sign
from finance_pack.sandbox.testing import (
    RunningSlackEmulator,
    RunningStripeEmulator,
    running_slack_emulator,
    running_stripe_emulator,
)
from finance_pack.services.customers import add_customer
from finance_pack.services.invoices import InvoiceRequest, request_invoice
from finance_pack.store.engine import make_engine
from finance_pack.store.invoices import change_invoice, list_invoices
from finance_pack.store.migrate import upgrade

ACTOR = Actor("user:bench@example.com", (), frozenset({"invoices:create"}), "bench", "cli")


@dataclass
class Deployment:
    context: PackContext
    stripe: RunningStripeEmulator
    slack: RunningSlackEmulator
    api_url: str


@contextmanager
def deployment(channels: int) -> Iterator[Deployment]:
    extra = tuple(EmulatedChannel(f"C0BENCH{i:04d}", f"bench-{i}") for i in range(channels))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        target = Path(tmp) / "deploy"
        apply_plan(plan_install(get_pack("finance"), target))
        os.environ["BLACKROAD_HOME"] = str(target)
        stripe_emu = stack.enter_context(running_stripe_emulator())
        slack = stack.enter_context(running_slack_emulator(channels=(*DEFAULT_CHANNELS, *extra)))
        os.environ.update(
            STRIPE_API_KEY=stripe_emu.api_key,
            FINANCE_STRIPE_API_URL=stripe_emu.url,
            SLACK_BOT_TOKEN=slack.token,
            FINANCE_SLACK_API_URL=slack.api_url,
        )
        context = load_context(target)
        engine = make_engine(context.state_db_url)
        upgrade(engine)
        api = stack.enter_context(BackgroundServer(create_app(context, engine), name="api"))
        client = stripe.StripeClient(stripe_emu.api_key, base_addresses={"api": stripe_emu.url})
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": f"{api.url}v1/webhooks/stripe", "enabled_events": list(INVOICE_EVENTS)}
        )
        os.environ["STRIPE_WEBHOOK_SECRET"] = str(endpoint.secret)
        now = datetime.now(UTC)
        for i in range(channels):
            add_customer(
                engine,
                ACTOR,
                customer_id=f"cust-{i}",
                name=f"Customer {i}",
                email=None,
                slack_channel=f"#bench-{i}",
                currency="USD",
                now=now,
            )
        yield Deployment(context, stripe_emu, slack, api.url)
        engine.dispose()


def latency_run(rate: float, seconds: float, channels: int, paced: bool) -> dict[str, Any]:
    with deployment(channels) as dep:
        engine = make_engine(dep.context.state_db_url)
        interval = 1.0 if paced else 0.0
        slack = SlackWebGateway(
            SlackSettings(dep.slack.token, dep.slack.api_url, min_post_interval_seconds=interval)
        )
        bot = build_invoice_bot(dep.context, engine, slack=slack)
        bot.workers = 16
        loop = AgentLoop("invoice-bot", bot.tick)
        worker = threading.Thread(target=loop.run, daemon=True)
        worker.start()
        total = int(rate * seconds)
        started = time.monotonic()
        for n in range(total):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            request_invoice(
                engine,
                dep.context.config,
                ACTOR,
                InvoiceRequest(
                    f"cust-{n % channels}", f"{100 + n % 900}.{n % 100:02d}", "usd", None, 30
                ),
                idempotency_key=None,
                now=datetime.now(UTC),
            )
        offered = total / (time.monotonic() - started)
        deadline = time.monotonic() + max(120.0, seconds * 3)
        while time.monotonic() < deadline and _undelivered(engine) > 0:
            time.sleep(0.25)
        loop.stop.set()
        worker.join(30)
        bot.close()
        return _latency_figures(engine, dep, paced, total, offered)


def _undelivered(engine: Any) -> int:
    with engine.connect() as connection:
        return sum(r.status != "delivered" for r in list_invoices(connection, limit=None))


def _latency_figures(
    engine: Any, dep: Deployment, paced: bool, total: int, offered: float
) -> dict[str, Any]:
    with engine.connect() as connection:
        records = list_invoices(connection, limit=None)
    latencies = sorted(
        (r.delivered_at - r.requested_at).total_seconds() for r in records if r.delivered_at
    )
    per_request = Counter(
        i["metadata"]["finance_request_id"] for i in dep.stripe.emulator.invoices.values()
    )
    posted = Counter(
        (m.get("metadata") or {}).get("event_payload", {}).get("key")
        for m in dep.slack.emulator.messages()
        if (m.get("metadata") or {}).get("event_type") == "finance_invoice"
    )

    def pct(p: int) -> float | None:
        if not latencies:
            return None
        return latencies[max(0, -(-p * len(latencies) // 100) - 1)]

    return {
        "case": f"latency, Slack pacing {'on' if paced else 'off'}",
        "requested": total,
        "offered_per_s": round(offered, 2),
        "delivered": len(latencies),
        # Still in flight when the benchmark stopped waiting (durable rows: not lost, late).
        "undelivered_when_stopped": total - len(latencies),
        "duplicated_stripe": sum(c - 1 for c in per_request.values() if c > 1),
        "duplicated_slack": sum(c - 1 for c in posted.values() if c > 1),
        "p50_s": pct(50),
        "p95_s": pct(95),
        "p99_s": pct(99),
        "max_s": latencies[-1] if latencies else None,
        "mean_s": statistics.fmean(latencies) if latencies else None,
    }


def webhook_run(events: int) -> dict[str, Any]:
    with deployment(1) as dep:
        engine = make_engine(dep.context.state_db_url)
        record, _ = request_invoice(
            engine,
            dep.context.config,
            ACTOR,
            InvoiceRequest("cust-0", "10.00", "usd", None, 30),
            idempotency_key=None,
            now=datetime.now(UTC),
        )
        with engine.begin() as connection:
            change_invoice(
                connection,
                record,
                {"stage": "posted", "stripe_invoice_id": "in_bench"},
                now=datetime.now(UTC),
            )
        secret = os.environ["STRIPE_WEBHOOK_SECRET"]
        types = ["invoice.payment_failed", "invoice.finalized", "invoice.sent", "invoice.paid"]
        bodies = []
        for n in range(events):
            body = {
                "id": f"evt_bench_{n if n % 10 else max(n - 1, 0)}",  # every 10th is a replay
                "object": "event",
                "type": types[n % len(types)],
                "created": int(time.time()),
                "data": {"object": {"id": "in_bench", "object": "invoice", "metadata": {}}},
            }
            bodies.append(json.dumps(body).encode())
        url = f"{dep.api_url}v1/webhooks/stripe"
        clients = threading.local()

        def post(payload: bytes) -> str:
            if not hasattr(clients, "http"):
                clients.http = httpx.Client()
            header = sign(payload, secret, int(time.time()))
            answer = clients.http.post(url, content=payload, headers={"Stripe-Signature": header})
            return str(answer.json()["outcome"]) if answer.status_code == 200 else "error"

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            outcomes = Counter(pool.map(post, bodies))
        elapsed = time.monotonic() - started
        return {
            "case": "webhooks (verify + de-duplicate + apply)",
            "events": events,
            "events_per_s": round(events / elapsed, 1),
            "applied": outcomes["applied"],
            "duplicates_ignored": outcomes["duplicate"],
            "errors": outcomes["error"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="Invoice requests per second.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--channels", type=int, default=20, help="Customers, one channel each.")
    parser.add_argument("--pacing", choices=("both", "on", "off"), default="both")
    parser.add_argument("--events", type=int, default=5000, help="Webhook events to post.")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()
    rows = []
    for paced in {"both": (False, True), "on": (True,), "off": (False,)}[args.pacing]:
        rows.append(latency_run(args.rate, args.seconds, args.channels, paced))
    rows.append(webhook_run(args.events))
    emit("Invoice Bot", rows, args.json_path)


if __name__ == "__main__":
    main()
