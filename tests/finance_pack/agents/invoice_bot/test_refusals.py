"""When Stripe refuses an invoice (at create, item or finalize), the invoice fails with Stripe's
reason and the requester is told once in the invoices channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from invoice_support import InvoiceSandbox

from finance_pack.access.audit import read_audit
from finance_pack.clock import FakeClock
from finance_pack.store.customers import set_stripe_customer_id
from finance_pack.store.invoices import get_invoice


def _notices(sandbox: InvoiceSandbox) -> list[dict[str, object]]:
    return [
        m
        for m in sandbox.slack.emulator.messages()
        if (m.get("metadata") or {}).get("event_type") == "finance_invoice_failed"
    ]


def _refuse(sandbox: InvoiceSandbox, operation: str, message: str, **extra: object) -> None:
    spec = {"operation": operation, "message": message, "status": 400, **extra}
    response = httpx.post(f"{sandbox.stripe.url}/_emulator/faults", json=spec)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("operation", "message", "extra", "failure", "in_stripe"),
    [
        (
            "invoices.create",
            "No such customer: 'cus_gone'",
            {"code": "resource_missing", "param": "customer"},
            "Stripe refused the request (parameter customer): No such customer: 'cus_gone'",
            "Nothing was created in Stripe or sent to the customer.",
        ),
        (
            "invoiceitems.create",
            "You cannot combine currencies on a single customer.",
            {"code": "currency_mismatch"},
            "Stripe refused the request: You cannot combine currencies on a single customer.",
            "was not finalized or sent.",
        ),
        (
            "invoices.finalize",
            "Amount must be no more than $999,999.99",
            {"code": "amount_too_large", "param": "amount"},
            "Stripe refused the request (parameter amount): "
            "Amount must be no more than $999,999.99",
            "was not finalized or sent.",
        ),
    ],
)
def test_a_refused_invoice_fails_with_stripes_reason_and_the_requester_is_told_once(
    sandbox: InvoiceSandbox,
    operation: str,
    message: str,
    extra: dict[str, object],
    failure: str,
    in_stripe: str,
) -> None:
    _refuse(sandbox, operation, message, **extra)
    record = sandbox.request(amount="1250.00")
    bot = sandbox.bot(reconciler=None)
    for _ in range(3):
        bot.tick(bot.clock.now())

    with sandbox.engine.connect() as connection:
        failed = get_invoice(connection, record.id)
        audited = read_audit(connection, subject=f"invoice:{record.id}")
    assert failed is not None and (failed.status, failed.failure) == ("failed", failure)
    [notice] = _notices(sandbox)
    assert notice["channel_name"] == "billing"
    text = str(notice["text"])
    for part in (record.id, "Acme Corp", "USD 1,250.00", "gina@example.com", failure, in_stripe):
        assert part in text, (part, text)
    assert sandbox.invoice_messages() == []
    assert audited[-1].action == "invoices.failed"
    assert audited[-1].after["failure"] == failure


def test_an_unknown_stripe_customer_is_refused_by_the_emulator_itself_and_told(
    sandbox: InvoiceSandbox,
) -> None:
    with sandbox.engine.begin() as connection:
        set_stripe_customer_id(connection, "acme", "cus_deleted_in_stripe")
    record = sandbox.request(amount="75.00")
    bot = sandbox.bot(reconciler=None)
    bot.tick(bot.clock.now())
    bot.tick(bot.clock.now())
    [notice] = _notices(sandbox)
    assert "No such customer: 'cus_deleted_in_stripe'" in str(notice["text"])
    assert record.id in str(notice["text"])


class _Killed(BaseException):
    """Stands in for SIGKILL: nothing after the failpoint runs, the claim stays taken."""


def test_a_notice_posted_just_before_a_crash_is_found_and_not_posted_again(
    sandbox: InvoiceSandbox,
) -> None:
    _refuse(sandbox, "invoices.finalize", "Amount must be no more than $999,999.99")
    record = sandbox.request()
    clock = FakeClock(datetime.now(UTC))

    def die_after_the_notice(invoice_id: str, point: str) -> None:
        if point == "called:failed_notice":
            raise _Killed(invoice_id)

    first = sandbox.bot(clock=clock, reconciler=None, after_step=die_after_the_notice)
    with pytest.raises(_Killed):
        first.tick(clock.now())
    assert len(_notices(sandbox)) == 1

    clock.advance(first.lease + timedelta(seconds=1))  # the dead holder's lease runs out
    second = sandbox.bot(clock=clock, reconciler=None)
    second.tick(clock.now())
    second.tick(clock.now())
    assert len(_notices(sandbox)) == 1
    with sandbox.engine.connect() as connection:
        failed = get_invoice(connection, record.id)
    assert failed is not None and failed.status == "failed"
