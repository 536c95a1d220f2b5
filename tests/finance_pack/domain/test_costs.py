from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance_pack.domain.costs import (
    CostRecord,
    CumulativeSample,
    CurColumn,
    amortised_cost,
    billing_period_start,
    canonical_tags_json,
    interval_spend,
    parse_charge_time,
    parse_cost,
    parse_tags,
    tag_needle,
)
from finance_pack.domain.money import InvalidAmountError, Money

MAY = datetime(2026, 5, 1, tzinfo=UTC)


def record(**overrides: object) -> CostRecord:
    fields: dict[str, object] = {
        "charge_period_start": MAY,
        "charge_period_end": MAY + timedelta(hours=1),
        "billed_cost": Money.of("1.5", "USD"),
        "effective_cost": Money.of("1.2", "USD"),
        "provider_name": "AWS",
        "billing_account_id": "1",
        "service_name": "AmazonEC2",
    }
    fields.update(overrides)
    return CostRecord(**fields)  # type: ignore[arg-type]


def test_record_refuses_naive_timestamps() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record(charge_period_start=datetime(2026, 5, 1))


def test_record_refuses_a_period_ending_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        record(charge_period_end=MAY - timedelta(hours=1))


def test_record_accepts_negative_costs_and_normalises_to_utc() -> None:
    tz = datetime(2026, 5, 1, 2, tzinfo=UTC).astimezone().tzinfo
    credit = record(
        billed_cost=Money.of("-3", "USD"),
        effective_cost=Money.of("-3", "USD"),
        charge_period_start=MAY.astimezone(tz),
    )
    assert credit.charge_period_start.tzinfo is UTC
    assert credit.billing_period == MAY


def test_record_needs_one_currency_for_both_costs() -> None:
    with pytest.raises(ValueError, match="BillingCurrency"):
        record(effective_cost=Money.of("1", "EUR"))


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "", "NULL", None, "1,5"])
def test_parse_cost_refuses_non_finite_and_empty_values(text: str | None) -> None:
    with pytest.raises(InvalidAmountError):
        parse_cost(text)


def test_parse_cost_accepts_quoted_and_negative_numbers() -> None:
    assert parse_cost('"12.000000000001"') == Decimal("12.000000000001")
    assert parse_cost("-0.5") == Decimal("-0.5")


def test_charge_times_with_or_without_z_are_utc() -> None:
    assert parse_charge_time("2026-05-01T00:00:00Z") == MAY
    assert parse_charge_time("2026-05-01 00:00:00") == MAY
    assert parse_charge_time("2026-05-01T02:00:00+02:00") == MAY


def test_tags_parse_and_canonical_form() -> None:
    assert parse_tags("NULL") == {}
    assert parse_tags('{"team": "core", "n": 3}') == {"team": "core", "n": "3"}
    with pytest.raises(ValueError, match="JSON object"):
        parse_tags("[1]")
    assert canonical_tags_json({"a": "é"}) == '{"a":"é"}'


@given(st.dictionaries(st.text(), st.text(), max_size=4), st.text(), st.text())
def test_tag_needle_matches_exactly_when_the_pair_is_present(
    tags: dict[str, str], key: str, value: str
) -> None:
    present = tags.get(key) == value
    assert (tag_needle(key, value) in canonical_tags_json(tags)) == present


def test_billing_period_is_the_utc_month() -> None:
    assert billing_period_start(datetime(2026, 5, 31, 23, 59, tzinfo=UTC)) == MAY


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Usage", Decimal("10")),
        ("SavingsPlanCoveredUsage", Decimal("6")),
        ("DiscountedUsage", Decimal("7")),
        ("RIFee", Decimal("0")),
        ("SavingsPlanRecurringFee", Decimal("0")),
        ("SavingsPlanNegation", Decimal("0")),
        ("Tax", Decimal("10")),
    ],
)
def test_amortised_cost_follows_the_line_item_type(kind: str, expected: Decimal) -> None:
    amounts = {
        CurColumn.UNBLENDED_COST: Decimal("10"),
        CurColumn.SP_EFFECTIVE_COST: Decimal("6"),
        CurColumn.RI_EFFECTIVE_COST: Decimal("7"),
    }
    assert amortised_cost(kind, amounts) == expected


def sample(hours: int, value: str) -> CumulativeSample:
    return CumulativeSample(MAY + timedelta(hours=hours), Decimal(value))


def test_interval_spend_differences_cumulative_samples() -> None:
    spend = interval_spend([sample(6, "10"), sample(12, "12.5"), sample(18, "12.5")])
    assert [(i.start, i.amount) for i in spend] == [
        (MAY, Decimal("10")),
        (MAY + timedelta(hours=6), Decimal("2.5")),
        (MAY + timedelta(hours=12), Decimal("0")),
    ]


def test_interval_spend_handles_late_and_repeated_points() -> None:
    spend = interval_spend([sample(12, "12"), sample(6, "10"), sample(12, "12")])
    assert [i.amount for i in spend] == [Decimal("10"), Decimal("2")]


def test_interval_spend_restarts_at_the_monthly_reset() -> None:
    june = datetime(2026, 6, 1, tzinfo=UTC)
    spend = interval_spend(
        [
            CumulativeSample(june - timedelta(hours=6), Decimal("900")),
            CumulativeSample(june + timedelta(hours=6), Decimal("20")),
        ]
    )
    assert spend[-1].start == june and spend[-1].amount == Decimal("20")


def test_interval_spend_keeps_a_credit_as_a_negative_interval() -> None:
    assert interval_spend([sample(1, "10"), sample(2, "8")])[-1].amount == Decimal("-2")


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30))
def test_interval_spend_sums_to_the_last_month_to_date(increments: list[int]) -> None:
    total, samples = 0, []
    for hour, step in enumerate(increments):
        total += step
        samples.append(sample(hour, str(total)))
    assert sum(i.amount for i in interval_spend(samples)) == Decimal(total)


def test_charge_times_are_trimmed_and_kept_in_utc() -> None:
    parsed = parse_charge_time("  2026-05-01T02:00:00+02:00\n")
    assert parsed == MAY and parsed.tzinfo is UTC
    assert parse_charge_time("2026-05-01T00:00:00Z").tzinfo is UTC


@pytest.mark.parametrize("text", [None, "", "   ", "NULL", " NULL "])
def test_empty_tags_are_no_tags(text: str | None) -> None:
    assert parse_tags(text) == {}


def test_non_object_tags_name_the_type_found() -> None:
    with pytest.raises(ValueError, match=r"^Tags must be a JSON object, got list$"):
        parse_tags("[1]")
    with pytest.raises(ValueError, match=r"^Tags must be a JSON object, got str$"):
        parse_tags('"team"')


def test_non_text_tag_values_keep_their_json_text() -> None:
    assert parse_tags('{"a": null, "b": [1, 2], "c": true}') == {
        "a": "null",
        "b": "[1, 2]",
        "c": "true",
    }


def test_a_zero_length_charge_period_is_accepted() -> None:
    assert record(charge_period_end=MAY).charge_period_end == MAY


def test_mixed_currencies_are_refused_by_the_focus_column_names() -> None:
    with pytest.raises(
        ValueError, match=r"^BilledCost and EffectiveCost must share the BillingCurrency$"
    ):
        record(effective_cost=Money.of("1", "EUR"))


@pytest.mark.parametrize("text", [None, "", "  ", "NULL", " NULL "])
def test_an_empty_cost_says_so(text: str | None) -> None:
    with pytest.raises(InvalidAmountError, match=r"^cost is empty$"):
        parse_cost(text)


def test_a_quoted_cost_loses_its_spaces_and_quotes() -> None:
    assert parse_cost(' "12.5" ') == Decimal("12.5")
