from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from finance_pack.domain.invoices import (
    Facts,
    InvalidTransitionError,
    InvoiceAmount,
    InvoiceAmountError,
    Stage,
    Status,
    latency_seconds,
    next_stage,
    parse_invoice_amount,
    reached,
    settle_delivery,
    status_of,
    step_idempotency_key,
)

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1250.00", "usd", 125000),
        ("0.01", "EUR", 1),
        ("15000", "jpy", 15000),
        ("12.340", "kwd", 12340),
        ("12.34", "kwd", 12340),
        ("500", "isk", 50000),
        ("99999.99", "usd", 9999999),
    ],
)
def test_amounts_become_stripe_minor_units_exactly(amount: str, currency: str, minor: int) -> None:
    assert parse_invoice_amount(amount, currency).minor_units == minor


@pytest.mark.parametrize(
    ("amount", "currency", "field", "reason"),
    [
        ("0", "usd", "amount", "greater than zero"),
        ("-1.00", "usd", "amount", "greater than zero"),
        ("10.005", "usd", "amount", "refusing to round"),
        ("1.5", "jpy", "amount", "no decimals"),
        ("12.345", "kwd", "amount", "end in 0"),
        ("12.3456", "kwd", "amount", "at most 3 decimals"),
        ("500.50", "isk", "amount", "whole ISK"),
        ("1000000.00", "usd", "amount", "Stripe's limit"),
        ("ten", "usd", "amount", "not a decimal"),
        ("NaN", "usd", "amount", "not a finite"),
        ("10.00", "xts", "currency", "not a currency Stripe"),
        ("10.00", "", "currency", "not a currency Stripe"),
    ],
)
def test_bad_amounts_name_the_field_and_never_round(
    amount: str, currency: str, field: str, reason: str
) -> None:
    with pytest.raises(InvoiceAmountError) as info:
        parse_invoice_amount(amount, currency)
    assert info.value.field == field and reason in str(info.value)


def test_the_configured_maximum_is_enforced_in_major_units() -> None:
    assert parse_invoice_amount("500.00", "usd", Decimal(500)).minor_units == 50000
    with pytest.raises(InvoiceAmountError, match="configured maximum"):
        parse_invoice_amount("500.01", "usd", Decimal(500))


def test_the_pipeline_creates_the_draft_before_its_item_and_ends_at_delivered() -> None:
    stages = [Stage.REQUESTED]
    while stages[-1] is not Stage.POSTED:
        stages.append(next_stage(stages[-1]))
    assert stages == [
        Stage.REQUESTED,
        Stage.CUSTOMER_READY,
        Stage.INVOICE_CREATED,
        Stage.ITEM_CREATED,
        Stage.FINALIZED,
        Stage.SENT,
        Stage.POSTED,
    ]
    for stage in (Stage.POSTED, Stage.DELIVERED, Stage.FAILED):
        with pytest.raises(InvalidTransitionError):
            next_stage(stage)


def test_delivery_needs_both_the_slack_post_and_stripes_sent_event() -> None:
    assert settle_delivery(Stage.POSTED, Facts()) is Stage.POSTED
    assert settle_delivery(Stage.SENT, Facts(sent_at=T0)) is Stage.SENT
    assert settle_delivery(Stage.POSTED, Facts(sent_at=T0)) is Stage.DELIVERED


def test_outcomes_override_the_stage_in_any_order_but_a_failure_stays() -> None:
    assert status_of(Stage.SENT, Facts(paid_at=T0)) is Status.PAID
    assert status_of(Stage.DELIVERED, Facts(paid_at=T0, voided_at=T0)) is Status.VOID
    assert status_of(Stage.DELIVERED, Facts(payment_failed_at=T0)) is Status.PAYMENT_FAILED
    assert status_of(Stage.SENT, Facts(payment_failed_at=T0)) is Status.SENT
    assert status_of(Stage.FAILED, Facts(paid_at=T0)) is Status.FAILED


def test_latency_is_exact_seconds_and_none_until_delivered() -> None:
    assert latency_seconds(T0, None) is None
    later = T0 + timedelta(minutes=4, seconds=59, microseconds=250000)
    assert latency_seconds(T0, later) == Decimal("299.25")


def test_each_step_of_each_request_has_its_own_stable_idempotency_key() -> None:
    key = step_idempotency_key("inv_1", Stage.FINALIZED)
    assert key == step_idempotency_key("inv_1", Stage.FINALIZED) == "finance-inv_1-finalized"
    assert key != step_idempotency_key("inv_2", Stage.FINALIZED)
    assert key != step_idempotency_key("inv_1", Stage.SENT)


def test_a_stage_without_a_step_is_named_in_the_error() -> None:
    with pytest.raises(InvalidTransitionError, match=r"^no worker step follows posted$"):
        next_stage(Stage.POSTED)


@pytest.mark.parametrize(
    ("stage", "wanted", "expected"),
    [
        (Stage.SENT, Stage.SENT, True),
        (Stage.SENT, Stage.FINALIZED, True),
        (Stage.SENT, Stage.REQUESTED, True),
        (Stage.FINALIZED, Stage.SENT, False),
        (Stage.REQUESTED, Stage.CUSTOMER_READY, False),
        (Stage.DELIVERED, Stage.POSTED, True),
        (Stage.FAILED, Stage.FAILED, True),
        (Stage.FAILED, Stage.REQUESTED, False),
        (Stage.DELIVERED, Stage.FAILED, False),
    ],
)
def test_reached_means_that_stage_or_beyond_and_failed_only_itself(
    stage: Stage, wanted: Stage, expected: bool
) -> None:
    assert reached(stage, wanted) is expected


def test_latency_counts_whole_days_in_seconds() -> None:
    later = T0 + timedelta(days=2, hours=1, microseconds=5)
    assert latency_seconds(T0, later) == Decimal("176400.000005")


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("0", "usd", "amount '0': must be greater than zero"),
        ("ten", "usd", "amount 'ten': not a decimal number"),
        ("NaN", "usd", "amount 'NaN': not a finite number"),
        ("1.5", "jpy", "amount '1.5': JPY takes no decimals; refusing to round"),
        ("10.005", "usd", "amount '10.005': USD takes at most 2 decimals; refusing to round"),
        ("12.345", "kwd", "amount '12.345': Stripe needs KWD amounts to end in 0 (e.g. 12.340)"),
        ("500.50", "isk", "amount '500.50': Stripe takes only whole ISK amounts"),
        ("1000000.00", "usd", "amount '1000000.00': over Stripe's limit of 99999999 minor units"),
        (
            "10.00",
            " xts",
            "currency ' xts': not a currency Stripe can invoice in (e.g. usd, eur, jpy)",
        ),
    ],
)
def test_a_refused_amount_says_which_input_what_value_and_why(
    amount: str, currency: str, message: str
) -> None:
    with pytest.raises(InvoiceAmountError) as caught:
        parse_invoice_amount(amount, currency)
    assert str(caught.value) == message
    field = message.partition(" ")[0]
    assert caught.value.field == field
    assert caught.value.value == (currency if field == "currency" else amount)
    assert caught.value.reason == message.split(": ", 1)[1]


def test_the_configured_maximum_is_named_with_the_currency() -> None:
    with pytest.raises(InvoiceAmountError) as caught:
        parse_invoice_amount("500.01", " eur ", Decimal(500))
    assert str(caught.value) == "amount '500.01': over the configured maximum 500 EUR"
    assert (caught.value.field, caught.value.value) == ("amount", "500.01")


def test_stripes_largest_amount_is_accepted_with_an_upper_case_currency() -> None:
    assert parse_invoice_amount(" 999999.99 ", "usd") == InvoiceAmount(99_999_999, "USD")
    assert parse_invoice_amount("12.34", "kwd").format() == "KWD 12.340"
