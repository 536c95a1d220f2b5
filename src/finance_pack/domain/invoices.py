"""Invoices in the pure domain: amounts in Stripe's minor units and the delivery state machine.

An invoice moves through pipeline stages, one durable step at a time:

    requested -> customer_ready -> invoice_created -> item_created -> finalized -> sent
              -> posted (Slack) -> delivered (Stripe's `invoice.sent` webhook seen too)

The draft invoice is created *before* its item, and the item is attached to it by id: an item
created first would sit "pending" on the customer, and a concurrent invoice for the same customer
could sweep it up, which would bill the wrong amount. Outcomes reported by Stripe's webhooks
(paid, payment failed, void) are facts kept beside the stage; `status` combines both, so a
webhook arriving early (`invoice.paid` before `invoice.sent`) is never lost or misapplied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from finance_pack.domain.currencies import ISO_4217_CODES

# Stripe's supported currencies that are also active ISO 4217 codes (stripe.com/docs/currencies).
STRIPE_CURRENCIES: frozenset[str] = (
    frozenset(
        """
    USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT
    LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD
    SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    """.split()
    )
    & ISO_4217_CODES
)

# Stripe's own exponent rules, which differ from ISO 4217 in places (MGA is zero-decimal here).
STRIPE_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF".split()
)
STRIPE_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Two decimals in the API for backwards compatibility, but only whole units are valid.
STRIPE_WHOLE_UNITS_ONLY = frozenset({"ISK", "UGX"})
# Stripe refuses amounts with more than eight digits of minor units.
STRIPE_MAX_MINOR_UNITS = 99_999_999


class InvoiceAmountError(ValueError):
    """A requested amount or currency Stripe cannot bill exactly; `field` names the input."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{field} {value!r}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InvoiceAmount:
    """An amount as Stripe takes it: integer minor units with a lower-case currency."""

    minor_units: int
    currency: str  # upper-case ISO 4217

    @property
    def exponent(self) -> int:
        return stripe_exponent(self.currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor_units).scaleb(-self.exponent)

    def format(self) -> str:
        return f"{self.currency} {self.decimal:,.{self.exponent}f}"


def stripe_currency(code: str) -> str:
    upper = code.strip().upper()
    if upper not in STRIPE_CURRENCIES:
        raise InvoiceAmountError(
            "currency", code, "not a currency Stripe can invoice in (e.g. usd, eur, jpy)"
        )
    return upper


def stripe_exponent(currency: str) -> int:
    upper = currency.upper()
    if upper in STRIPE_ZERO_DECIMAL:
        return 0
    if upper in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def parse_invoice_amount(
    amount: str, currency: str, maximum: Decimal | None = None
) -> InvoiceAmount:
    """The exact minor units of `amount`, or `InvoiceAmountError`; never rounds.

    `maximum` is the configured ceiling in major units of `currency` (None: Stripe's own).
    """
    code = stripe_currency(currency)
    text = amount.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvoiceAmountError("amount", amount, "not a decimal number") from None
    if not value.is_finite():
        raise InvoiceAmountError("amount", amount, "not a finite number")
    if value <= 0:
        raise InvoiceAmountError("amount", amount, "must be greater than zero")
    if maximum is not None and value > maximum:
        raise InvoiceAmountError("amount", amount, f"over the configured maximum {maximum} {code}")
    exponent = stripe_exponent(code)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        places = "no decimals" if exponent == 0 else f"at most {exponent} decimals"
        raise InvoiceAmountError("amount", amount, f"{code} takes {places}; refusing to round")
    units = int(minor)
    if exponent == 3 and units % 10 != 0:
        raise InvoiceAmountError(
            "amount", amount, f"Stripe needs {code} amounts to end in 0 (e.g. {value:.2f}0)"
        )
    if code in STRIPE_WHOLE_UNITS_ONLY and units % 100 != 0:
        raise InvoiceAmountError("amount", amount, f"Stripe takes only whole {code} amounts")
    if units > STRIPE_MAX_MINOR_UNITS:
        raise InvoiceAmountError(
            "amount", amount, f"over Stripe's limit of {STRIPE_MAX_MINOR_UNITS} minor units"
        )
    return InvoiceAmount(units, code)


class Stage(StrEnum):
    REQUESTED = "requested"
    CUSTOMER_READY = "customer_ready"
    INVOICE_CREATED = "invoice_created"
    ITEM_CREATED = "item_created"
    FINALIZED = "finalized"
    SENT = "sent"
    POSTED = "posted"
    DELIVERED = "delivered"
    FAILED = "failed"


PIPELINE: tuple[Stage, ...] = (
    Stage.REQUESTED,
    Stage.CUSTOMER_READY,
    Stage.INVOICE_CREATED,
    Stage.ITEM_CREATED,
    Stage.FINALIZED,
    Stage.SENT,
    Stage.POSTED,
    Stage.DELIVERED,
)
# Stages in which the worker still has a step to do.
WORKING_STAGES: frozenset[Stage] = frozenset(PIPELINE[:-2])


class InvalidTransitionError(ValueError):
    """A step out of order: a bug, never a user error."""


def next_stage(stage: Stage) -> Stage:
    """The stage after `stage` once its step has succeeded."""
    if stage not in WORKING_STAGES:
        raise InvalidTransitionError(f"no worker step follows {stage}")
    return PIPELINE[PIPELINE.index(stage) + 1]


def reached(stage: Stage, wanted: Stage) -> bool:
    """True when `stage` is `wanted` or beyond it in the pipeline."""
    if stage is Stage.FAILED or wanted is Stage.FAILED:
        return stage is wanted
    return PIPELINE.index(stage) >= PIPELINE.index(wanted)


class WebhookFact(StrEnum):
    """What Stripe's events tell us; each is recorded once, in any order."""

    FINALIZED = "invoice.finalized"
    SENT = "invoice.sent"
    PAID = "invoice.paid"
    PAYMENT_FAILED = "invoice.payment_failed"
    VOIDED = "invoice.voided"
    FINALIZATION_FAILED = "invoice.finalization_failed"


@dataclass(frozen=True, slots=True)
class Facts:
    """When Stripe reported each outcome (None: not yet)."""

    sent_at: datetime | None = None
    paid_at: datetime | None = None
    payment_failed_at: datetime | None = None
    voided_at: datetime | None = None


class Status(StrEnum):
    """What a person asking "where is my invoice?" needs: the stage, or the outcome."""

    REQUESTED = "requested"
    CUSTOMER_READY = "customer_ready"
    INVOICE_CREATED = "invoice_created"
    ITEM_CREATED = "item_created"
    FINALIZED = "finalized"
    SENT = "sent"
    POSTED = "posted"
    DELIVERED = "delivered"
    PAYMENT_FAILED = "payment_failed"
    PAID = "paid"
    VOID = "void"
    FAILED = "failed"


def status_of(stage: Stage, facts: Facts) -> Status:
    """Outcomes win once known, except that a failed request stays failed."""
    if stage is Stage.FAILED:
        return Status.FAILED
    if facts.voided_at is not None:
        return Status.VOID
    if facts.paid_at is not None:
        return Status.PAID
    if facts.payment_failed_at is not None and reached(stage, Stage.DELIVERED):
        return Status.PAYMENT_FAILED
    return Status(stage.value)


def settle_delivery(stage: Stage, facts: Facts) -> Stage:
    """`posted` becomes `delivered` once Stripe has confirmed it sent the invoice."""
    if stage is Stage.POSTED and facts.sent_at is not None:
        return Stage.DELIVERED
    return stage


def latency_seconds(requested_at: datetime, delivered_at: datetime | None) -> Decimal | None:
    """Invoice Latency (DESIGN §3): delivery confirmed minus requested, in seconds."""
    if delivered_at is None:
        return None
    delta = delivered_at - requested_at
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def step_idempotency_key(request_id: str, step: Stage) -> str:
    """Stripe's Idempotency-Key for `request_id`'s step: a retry of the step reuses it."""
    return f"finance-{request_id}-{step.value}"
