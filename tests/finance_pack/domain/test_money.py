from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance_pack.domain.budgets import Budget, Threshold, ThresholdBasis
from finance_pack.domain.currencies import UnknownCurrencyError, minor_unit_exponent
from finance_pack.domain.money import CurrencyMismatchError, InvalidAmountError, Money, sum_money

amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False)


@given(st.lists(amounts, max_size=50))
def test_sum_is_exact_decimal_sum(values: list[Decimal]) -> None:
    total = sum_money((Money(v, "USD") for v in values), "USD")
    assert total.amount == sum(values, Decimal(0))


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["USD", "JPY", "KWD"]))
def test_minor_units_round_trip(units: int, currency: str) -> None:
    assert Money.from_minor_units(units, currency).to_minor_units() == units


def test_currency_exponents_follow_iso_4217() -> None:
    assert [minor_unit_exponent(c) for c in ("usd", "JPY", "KWD", "EUR")] == [2, 0, 3, 2]


def test_adding_different_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="FX table"):
        _ = Money.of("1", "USD") + Money.of("1", "EUR")


@pytest.mark.parametrize("bad", [1.5, "NaN", "Infinity", "abc"])
def test_inexact_or_non_finite_amounts_are_refused(bad: object) -> None:
    with pytest.raises(InvalidAmountError):
        Money.of(bad, "USD")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError, match="ISO 4217"):
        Money.of("1", "XYZ")


def test_format_rounds_half_even_to_the_minor_unit() -> None:
    assert Money.of("12345.675", "USD").format() == "USD 12,345.68"
    assert Money.of("12345.665", "USD").format() == "USD 12,345.66"
    assert Money.of("1000", "JPY").format() == "JPY 1,000"


def test_threshold_parsing_and_budget_rules() -> None:
    assert Threshold.parse("100:forecast") == Threshold(Decimal(100), ThresholdBasis.FORECAST)
    assert Threshold.parse("80") == Threshold(Decimal(80), ThresholdBasis.ACTUAL)
    for bad in ("0", "abc", "80:maybe", "2000"):
        with pytest.raises(ValueError):
            Threshold.parse(bad)
    with pytest.raises(ValueError, match="positive"):
        Budget("b", Money.of("0", "USD"))
    with pytest.raises(ValueError, match="duplicated"):
        Budget("b", Money.of("1", "USD"), thresholds=(Threshold.parse("80"), Threshold.parse("80")))
