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


def test_amounts_parse_from_int_text_and_decimal_exactly() -> None:
    assert Money.of(12, "USD").amount == Decimal("12")
    assert Money.of(" 12.50 ", "usd") == Money(Decimal("12.50"), "USD")
    assert Money.of(Decimal("0.1"), "USD").amount == Decimal("0.1")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (1.5, "refusing float amount 1.5: pass a str or Decimal"),
        ("abc", "not a decimal number: 'abc'"),
        (None, "not a decimal number: None"),
        ([1], r"not a decimal number: \[1\]"),
        ("-Infinity", "amount must be finite, got '-Infinity'"),
        (Decimal("NaN"), r"amount must be finite, got Decimal\('NaN'\)"),
    ],
)
def test_a_refused_amount_says_what_it_was(bad: object, message: str) -> None:
    with pytest.raises(InvalidAmountError, match=f"^{message}$"):
        Money.of(bad, "USD")


def test_a_currency_mismatch_names_both_currencies() -> None:
    with pytest.raises(CurrencyMismatchError) as caught:
        _ = Money.of("1", "USD") - Money.of("1", "EUR")
    assert (caught.value.left, caught.value.right) == ("USD", "EUR")
    assert str(caught.value).startswith("cannot combine USD and EUR amounts without an FX table")


def test_minor_units_follow_the_currency_exponent() -> None:
    assert Money.from_minor_units(1234, "USD") == Money.of("12.34", "USD")
    assert Money.from_minor_units(1234, "JPY") == Money.of("1234", "JPY")
    assert Money.from_minor_units(1234, "KWD") == Money.of("1.234", "KWD")
    assert Money.from_minor_units(12345, "CLF") == Money.of("1.2345", "CLF")


def test_to_minor_units_rounds_half_to_even() -> None:
    assert Money.of("0.125", "USD").to_minor_units() == 12
    assert Money.of("0.135", "USD").to_minor_units() == 14
    assert Money.of("-0.125", "USD").to_minor_units() == -12
    assert Money.of("2.5", "JPY").to_minor_units() == 2


def test_rounded_keeps_the_currency_and_rounds_half_even() -> None:
    assert Money.of("10.005", "USD").rounded() == Money.of("10.00", "USD")
    assert Money.of("10.015", "USD").rounded() == Money.of("10.02", "USD")
    assert Money.of("1.0005", "KWD").rounded() == Money.of("1.000", "KWD")


def test_arithmetic_keeps_the_currency() -> None:
    a, b = Money.of("10.50", "EUR"), Money.of("0.25", "EUR")
    assert a + b == Money.of("10.75", "EUR")
    assert a - b == Money.of("10.25", "EUR")
    assert -a == Money.of("-10.50", "EUR")
    assert a * 3 == Money.of("31.50", "EUR")
    assert 3 * a == Money.of("31.50", "EUR")
    assert a * Decimal("0.5") == Money.of("5.25", "EUR")
    assert Money.zero("JPY") == Money.of("0", "JPY")


def test_comparisons_are_by_amount_and_refuse_other_currencies() -> None:
    low, high = Money.of("1.00", "USD"), Money.of("2.00", "USD")
    assert (low < high, high < low, low < Money.of("1", "USD")) == (True, False, False)
    assert (low <= high, high <= low, low <= Money.of("1", "USD")) == (True, False, True)
    with pytest.raises(CurrencyMismatchError):
        _ = low < Money.of("2", "EUR")
    with pytest.raises(CurrencyMismatchError):
        _ = low <= Money.of("2", "EUR")


def test_str_is_the_human_form() -> None:
    assert str(Money.of("-1234567.891", "KWD")) == "KWD -1,234,567.891"


def test_sum_money_starts_at_zero_and_refuses_another_currency() -> None:
    assert sum_money([], "GBP") == Money.of("0", "GBP")
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money.of("1", "GBP"), Money.of("1", "USD")], "GBP")
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money.of("1", "USD")], "GBP")


def test_currency_codes_are_trimmed_and_upper_cased() -> None:
    assert Money.of("1", " eur ").currency == "EUR"
    with pytest.raises(UnknownCurrencyError) as caught:
        Money.of("1", "xyz")
    assert caught.value.code == "xyz"
    assert [minor_unit_exponent(c) for c in ("CLF", "UYW", "BHD", "VND")] == [4, 4, 3, 0]


def test_a_currency_mismatch_says_how_to_fix_it() -> None:
    assert str(CurrencyMismatchError("USD", "EUR")) == (
        "cannot combine USD and EUR amounts without an FX table "
        "(configure fx_rates in finance.yaml or keep budgets in the billing currency)"
    )
