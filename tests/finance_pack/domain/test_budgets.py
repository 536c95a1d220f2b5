"""Budget validation: the one gate every budget (CLI, API, finance.yaml, stored row) passes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finance_pack.domain.budgets import (
    Budget,
    Threshold,
    budget_name_problem,
    normalize_budget_name,
)
from finance_pack.domain.money import Money


@pytest.mark.parametrize("text", ["NaN", "sNaN", "nan:forecast", "Infinity", "-inf", "inf%"])
def test_non_finite_thresholds_are_refused_with_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="threshold"):
        Threshold.parse(text)


@pytest.mark.parametrize("percent", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_a_threshold_built_directly_refuses_non_finite_percentages(percent: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        Threshold(percent)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("100.555", "USD"), ("0.0000000000001", "USD"), ("100.5", "JPY"), ("1.0001", "KWD")],
)
def test_amounts_more_precise_than_the_minor_unit_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="more precise than"):
        Budget("b", Money.of(amount, currency))


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("100.55", "USD"), ("100.550000", "USD"), ("100", "JPY"), ("1.001", "KWD")],
)
def test_amounts_at_the_minor_unit_are_accepted(amount: str, currency: str) -> None:
    assert Budget("b", Money.of(amount, currency)).amount.amount == Decimal(amount)


def test_amounts_beyond_the_stored_range_are_refused() -> None:
    Budget("b", Money.of("9999999999999999.99", "USD"))
    for amount in ("10000000000000000", "1E+27"):
        with pytest.raises(ValueError, match="beyond the largest budget"):
            Budget("b", Money.of(amount, "USD"))


def test_names_longer_than_64_characters_are_refused() -> None:
    Budget("n" * 64, Money.of("1", "USD"))
    with pytest.raises(ValueError, match="65 characters long: at most 64"):
        Budget("n" * 65, Money.of("1", "USD"))
    problem = budget_name_problem("n" * 100_000)
    assert problem is not None and len(problem) < 200  # the message does not echo it all


def test_look_alike_names_normalise_to_one_name() -> None:
    assert normalize_budget_name("ｔｏｔａｌ") == "total"
    assert normalize_budget_name("ﬁnance") == "finance"
    with pytest.raises(ValueError, match="not in normal form"):
        Budget("ｔｏｔａｌ", Money.of("1", "USD"))
