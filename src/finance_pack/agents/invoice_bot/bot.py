"""The Invoice Bot's worker: drives each requested invoice through Stripe to Slack, once.

An invoice is driven under a claim on its `invoice_deliveries` row (store/deliveries.py): one
worker at a time, taken over when its holder dies (lease expiry). Every step's result is stored
before the next step starts, so a restart resumes at the step that was interrupted; Stripe's
Idempotency-Keys make that step's replay harmless, and the Slack post is looked up by its
metadata before it is posted again (`maybe_posted`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table

from finance_pack.agents.invoice_bot.message import (
    FAILURE_EVENT,
    INVOICE_EVENT,
    failure_text,
    invoice_message,
    update_text,
)
from finance_pack.agents.invoice_bot.reconciler import Reconciler
from finance_pack.agents.invoice_bot.steps import AmountMismatchError, StripeSteps
from finance_pack.clock import Clock, SystemClock
from finance_pack.domain.invoices import WORKING_STAGES, Stage
from finance_pack.providers.slack import (
    MessageMetadata,
    PostedMessage,
    SlackGateway,
    SlackPermanentError,
    SlackTransientError,
)
from finance_pack.providers.slack.delivery import post_once
from finance_pack.providers.stripe import (
    StripeGateway,
    StripeRejectedError,
    StripeUnavailableError,
)
from finance_pack.services.invoices import BOT, change_invoice_audited, delivery_on_post
from finance_pack.store.customers import CustomerRecord, get_customer, set_stripe_customer_id
from finance_pack.store.deliveries import Claim, mark_posted, mark_retry, try_claim
from finance_pack.store.invoices import (
    FAILURE_NOTICE,
    UPDATE_KINDS,
    InvoiceRecord,
    failed_without_notice,
    get_invoice,
    pending_updates,
    working_invoice_ids,
)
from finance_pack.store.tables import invoice_deliveries, invoice_updates

log = logging.getLogger(__name__)

AGENT = "invoice-bot"


@dataclass
class InvoiceBot:
    engine: Engine
    stripe: StripeGateway
    slack: SlackGateway
    fallback_channel: str
    replica: str
    clock: Clock = field(default_factory=SystemClock)
    lease: timedelta = timedelta(minutes=2)
    poll: timedelta = timedelta(milliseconds=200)
    workers: int = 8
    reconciler: Reconciler | None = None
    # Failpoint hook (crash tests): called with the invoice id and "called:<step>" once a
    # step's outside call succeeded, and "stored:<step>" once its result is stored.
    after_step: Callable[[str, str], None] | None = None
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)

    def tick(self, now: datetime) -> datetime:
        ids = working_invoice_ids(self.engine)
        if self.workers > 1 and len(ids) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="invoice-bot")
            list(self._pool.map(self.drive, ids))
        else:
            for invoice_id in ids:
                self.drive(invoice_id)
        self.post_updates()
        if self.reconciler is not None:
            self.reconciler.tick(self.clock.now())
        return self.clock.now() + self.poll

    def drive(self, invoice_id: str) -> bool:
        """Take `invoice_id` as far as it goes now; True when it reached Slack."""
        claim = self._claim(invoice_deliveries, {"invoice_id": invoice_id})
        if claim is None:
            return False
        try:
            return self._drive_claimed(invoice_id, claim)
        except (StripeUnavailableError, SlackTransientError) as exc:
            log.warning("invoice %s: %s; will retry", invoice_id, exc)
            after = exc.retry_after
            self._retry(claim, str(exc), permanent=False, retry_after=after)
        except SlackPermanentError as exc:
            log.error("invoice %s cannot be posted: %s", invoice_id, exc)
            self._retry(claim, str(exc), permanent=True, retry_after=None)
        except (StripeRejectedError, AmountMismatchError) as exc:
            log.error("invoice %s failed: %s", invoice_id, exc)
            self._fail(invoice_id, str(exc))
            self._retry(claim, str(exc), permanent=True, retry_after=None)
        return False

    def _claim(self, table: Table, key: dict[str, str]) -> Claim | None:
        return try_claim(
            self.engine, table, key, replica=self.replica, now=self.clock.now(), lease=self.lease
        )

    def _drive_claimed(self, invoice_id: str, claim: Claim) -> bool:
        steps = StripeSteps(self.stripe)
        record, customer = self._load(invoice_id)
        while record.stage_enum in WORKING_STAGES and record.stage_enum is not Stage.SENT:
            values = steps.run(record, customer)
            self._hook(record.id, f"called:{values['stage']}")
            if record.stage_enum is Stage.REQUESTED and not customer.stripe_customer_id:
                with self.engine.begin() as connection:
                    set_stripe_customer_id(connection, customer.id, values["stripe_customer_id"])
            record = self._store(record, values)
        if record.stage_enum is Stage.SENT:
            posted = self._post(record, customer, claim)
            mark_posted(
                self.engine,
                invoice_deliveries,
                claim,
                self.replica,
                channel_id=posted.channel_id,
                ts=posted.ts,
                posted_at=self.clock.now(),
            )
            return True
        return False

    def _load(self, invoice_id: str) -> tuple[InvoiceRecord, CustomerRecord]:
        with self.engine.connect() as connection:
            record = get_invoice(connection, invoice_id)
            customer = get_customer(connection, record.customer_id) if record else None
        if record is None or customer is None:
            raise LookupError(f"invoice {invoice_id} or its customer vanished")
        return record, customer

    def _store(
        self, record: InvoiceRecord, values: dict[str, Any], step: str | None = None
    ) -> InvoiceRecord:
        with self.engine.begin() as connection:
            stored = change_invoice_audited(
                connection, record, values, actor=BOT, via="agent", now=self.clock.now()
            )
        self._hook(record.id, f"stored:{step or stored.stage}")
        return stored

    def _hook(self, invoice_id: str, point: str) -> None:
        if self.after_step is not None:
            self.after_step(invoice_id, point)

    def _post(self, record: InvoiceRecord, customer: CustomerRecord, claim: Claim) -> PostedMessage:
        """The invoice message (found again if an earlier attempt posted it), then the PDF in
        its thread, then the stage `posted` (or `delivered` when Stripe confirmed first)."""
        channel = customer.slack_channel or self.fallback_channel
        metadata = MessageMetadata(INVOICE_EVENT, record.id, {"number": record.number or ""})
        if record.slack_ts is None:
            posted = None
            if claim.maybe_posted:
                oldest = record.requested_at - timedelta(hours=1)
                posted = self.slack.find_message(channel, INVOICE_EVENT, record.id, oldest)
            if posted is None:
                text, blocks = invoice_message(record, customer)
                posted = self._post_with_fallback(channel, text, blocks, metadata)
                self._hook(record.id, "called:slack_message")
            record = self._store(
                record, {"slack_channel": posted.channel_id, "slack_ts": posted.ts}, "slack_message"
            )
        assert record.slack_channel is not None and record.slack_ts is not None
        self._post_pdf(record, claim)
        self._store(record, delivery_on_post(self.clock.now()))
        return PostedMessage(record.slack_channel, record.slack_ts)

    def _post_pdf(self, record: InvoiceRecord, claim: Claim) -> None:
        """The PDF in the invoice's thread, once: when an earlier attempt may have uploaded it
        (it died before recording the post), the thread is searched for it first."""
        assert record.slack_channel is not None and record.slack_ts is not None
        filename = f"invoice-{record.number or record.id}.pdf"
        if claim.maybe_posted and self.slack.find_file_in_thread(
            record.slack_channel, record.slack_ts, filename
        ):
            return
        pdf = self.stripe.download_pdf(str(record.invoice_pdf_url))
        self.slack.upload_file(
            record.slack_channel,
            filename,
            pdf,
            title=f"Invoice {record.number or record.id}",
            thread_ts=record.slack_ts,
        )
        self._hook(record.id, "called:slack_pdf")

    def _post_with_fallback(
        self, channel: str, text: str, blocks: list[dict[str, Any]], metadata: MessageMetadata
    ) -> PostedMessage:
        try:
            return self.slack.post_message(channel, text, blocks, metadata=metadata)
        except SlackPermanentError as exc:
            if channel == self.fallback_channel or exc.error_code not in (
                "channel_not_found",
                "not_in_channel",
                "is_archived",
            ):
                raise
            log.warning("%s; posting to the invoices channel %s", exc, self.fallback_channel)
            return self.slack.post_message(self.fallback_channel, text, blocks, metadata=metadata)

    def _retry(
        self, claim: Claim, error: str, *, permanent: bool, retry_after: float | None
    ) -> None:
        mark_retry(
            self.engine,
            invoice_deliveries,
            claim,
            self.replica,
            error=error,
            now=self.clock.now(),
            permanent=permanent,
            retry_after=timedelta(seconds=retry_after) if retry_after else None,
        )

    def _fail(self, invoice_id: str, reason: str) -> None:
        record, _customer = self._load(invoice_id)
        self._store(record, {"stage": Stage.FAILED.value, "failure": reason})

    def post_updates(self) -> int:
        """Paid, payment failed and void, each once in the invoice's thread; and, once, the
        requester's notice in the invoices channel that Stripe refused an invoice."""
        work = pending_updates(self.engine)
        work += [(record, FAILURE_NOTICE) for record in failed_without_notice(self.engine)]
        return sum(self._post_update(record, kind) for record, kind in work)

    def _post_update(self, record: InvoiceRecord, kind: str) -> bool:
        now = self.clock.now()
        claim = self._claim(invoice_updates, {"invoice_id": record.id, "kind": kind})
        if claim is None:
            return False
        try:
            if kind == FAILURE_NOTICE:
                posted = self._failure_notice(record, claim)
            else:
                text = update_text(kind, getattr(record, UPDATE_KINDS[kind]))
                posted = self.slack.post_message(
                    str(record.slack_channel), text, thread_ts=record.slack_ts
                )
            self._hook(record.id, f"called:{kind}_notice")
        except (SlackTransientError, SlackPermanentError) as exc:
            transient = isinstance(exc, SlackTransientError)
            mark_retry(
                self.engine,
                invoice_updates,
                claim,
                self.replica,
                error=str(exc),
                now=now,
                permanent=not transient,
            )
            return False
        return mark_posted(
            self.engine,
            invoice_updates,
            claim,
            self.replica,
            channel_id=posted.channel_id,
            ts=posted.ts,
            posted_at=now,
        )

    def _failure_notice(self, record: InvoiceRecord, claim: Claim) -> PostedMessage:
        """Posted in the invoices channel (the customer's channel is the customer's to read),
        found again by its metadata when an earlier attempt may have posted it."""
        channel = self.fallback_channel
        metadata = MessageMetadata(FAILURE_EVENT, record.id)

        def post() -> PostedMessage:
            with self.engine.connect() as connection:
                customer = get_customer(connection, record.customer_id)
            text = failure_text(record, customer.name if customer else record.customer_id)
            return self.slack.post_message(channel, text, metadata=metadata)

        oldest = record.requested_at - timedelta(hours=1)
        delivered = post_once(
            self.slack, channel, metadata, post, maybe_posted=claim.maybe_posted, oldest=oldest
        )
        return delivered.message

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
