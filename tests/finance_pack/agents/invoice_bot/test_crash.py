"""Kill the Invoice Bot (SIGKILL, a real subprocess) after each step in turn and restart it:
every invoice ends delivered exactly once, one Stripe invoice and one Slack message each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from invoice_support import InvoiceSandbox, wait_until
from ruamel.yaml import YAML

from finance_pack.store.invoices import list_invoices

# Each point is where the process dies: "called:X" once Stripe or Slack answered the step that
# reaches X but before that is stored (the dangerous moments: the outside world changed and we
# do not know it yet); "stored:X" right after X is stored.
CRASH_POINTS = [
    "called:customer_ready",
    "called:invoice_created",
    "called:item_created",
    "called:finalized",
    "stored:finalized",
    "called:sent",
    "called:slack_message",
    "stored:slack_message",
    "called:slack_pdf",
]


def _short_lease(target: Path) -> None:
    path = target / "packs" / "finance" / "finance.yaml"
    yaml = YAML()
    data = yaml.load(path)
    data["stripe"]["worker_lease_seconds"] = 1
    yaml.dump(data, path)


def _run_worker(target: Path, crash_after: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BLACKROAD_HOME": str(target)}
    env.pop("FINANCE_INVOICE_BOT_CRASH_AFTER", None)
    if crash_after:
        env["FINANCE_INVOICE_BOT_CRASH_AFTER"] = crash_after
    brctl = [sys.executable, "-c", "from brctl.cli import entry; entry()"]
    return subprocess.run(
        [*brctl, "finance", "agent", "run", "invoice-bot", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_after_any_step_every_invoice_is_delivered_exactly_once(
    sandbox: InvoiceSandbox, installed_target: Path
) -> None:
    _short_lease(installed_target)
    requested = []
    for number, point in enumerate(CRASH_POINTS, start=1):
        requested.append(sandbox.request(amount=f"{100 + number}.25").id)
        crashed = _run_worker(installed_target, point)
        assert crashed.returncode == -signal.SIGKILL, (point, crashed.stderr[-2000:])
    requested.append(sandbox.request(amount="999.99").id)
    assert _run_worker(installed_target, None).returncode == 0
    wait_until(lambda: _all_delivered(sandbox), 30)

    stripe_invoices = list(sandbox.stripe.emulator.invoices.values())
    per_request = Counter(i["metadata"]["finance_request_id"] for i in stripe_invoices)
    assert per_request == Counter({invoice_id: 1 for invoice_id in requested})
    items = Counter(i["invoice"] for i in sandbox.stripe.emulator.invoice_items.values())
    assert set(items.values()) == {1} and len(items) == len(requested)
    assert len(sandbox.stripe.emulator.customers) == 1
    posted = Counter(
        m["metadata"]["event_payload"]["key"]  # type: ignore[index]
        for m in sandbox.invoice_messages()
    )
    assert posted == Counter({invoice_id: 1 for invoice_id in requested})
    assert _pdfs_in_threads(sandbox) == {invoice_id: 1 for invoice_id in requested}
    with sandbox.engine.connect() as connection:
        amounts = {r.id: r.amount_minor for r in list_invoices(connection, limit=None)}
    for stripe_invoice in stripe_invoices:
        request_id = stripe_invoice["metadata"]["finance_request_id"]
        assert stripe_invoice["amount_due"] == amounts[request_id]
        assert stripe_invoice["status"] == "open"


def _all_delivered(sandbox: InvoiceSandbox) -> bool:
    with sandbox.engine.connect() as connection:
        statuses = {r.status for r in list_invoices(connection, limit=None)}
    return statuses == {"delivered"}


def _pdfs_in_threads(sandbox: InvoiceSandbox) -> dict[str, int]:
    """PDF files shared in each invoice message's thread, by our invoice id."""
    messages = sandbox.slack.emulator.messages()
    return {
        str(parent["metadata"]["event_payload"]["key"]): sum(  # type: ignore[index]
            1
            for reply in messages
            if reply["thread_ts"] == parent["ts"] and reply["ts"] != parent["ts"]
            for shared in reply.get("files") or []  # type: ignore[attr-defined]
            if str(shared["name"]).endswith(".pdf")
        )
        for parent in sandbox.invoice_messages()
    }


def test_killed_between_the_pdf_upload_and_its_record_the_thread_has_one_pdf(
    sandbox: InvoiceSandbox, installed_target: Path
) -> None:
    _short_lease(installed_target)
    record = sandbox.request(amount="321.50")
    crashed = _run_worker(installed_target, "called:slack_pdf")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert _pdfs_in_threads(sandbox) == {record.id: 1}  # uploaded, but not recorded
    assert _run_worker(installed_target, None).returncode == 0
    wait_until(lambda: _all_delivered(sandbox), 30)
    assert _pdfs_in_threads(sandbox) == {record.id: 1}
