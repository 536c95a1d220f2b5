"""Budget validation: the one gate every budget (CLI, API, finance.yaml, stored row) passes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finance_pack.domain.budgets import (
    Budget,
    BudgetFailure,
    Scope,
    Threshold,
    ThresholdBasis,
    budget_amount_problem,
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


def test_a_scope_describes_its_filters_in_a_fixed_order() -> None:
    scope = Scope(
        providers=frozenset({"aws"}),
        accounts=frozenset({"222", "111"}),
        services=frozenset({"S3", "EC2"}),
        regions=frozenset({"eu-west-1"}),
        tags={"team": frozenset({"data", "core"}), "env": frozenset({"prod"})},
    )
    assert scope.describe() == (
        "provider=aws account=111,222 service=EC2,S3 region=eu-west-1 "
        "tag:env=prod tag:team=core,data"
    )
    assert Scope(services=frozenset({"RDS"})).describe() == "service=RDS"
    assert Scope().describe() == "all spend"


def test_a_budget_failure_is_an_error_row() -> None:
    failure = BudgetFailure("core", "fx rate USD->EUR missing")
    assert failure.to_json_dict() == {
        "budget": "core",
        "status": "error",
        "error": "fx rate USD->EUR missing",
    }


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "budget name '': use letters, digits, '-' and '_'"),
        ("a b", "budget name 'a b': use letters, digits, '-' and '_'"),
        ("ｃore", "budget name 'ｃore' is not in normal form: it reads as 'core'"),
        ("n" * 81, f"budget name '{'n' * 77}...' is 81 characters long: at most 64"),
    ],
)
def test_a_bad_name_is_explained(name: str, problem: str) -> None:
    assert budget_name_problem(name) == problem


@pytest.mark.parametrize("name", ["core", "team-a_2", "n" * 64, "Ünïcode"])
def test_good_names_have_no_problem(name: str) -> None:
    assert budget_name_problem(name) is None


@pytest.mark.parametrize(
    ("amount", "currency", "problem"),
    [
        ("0", "USD", "amount must be positive, got 0 USD"),
        ("-5.00", "EUR", "amount must be positive, got -5.00 EUR"),
        (
            "100.555",
            "USD",
            "amount 100.555 is more precise than USD's minor unit (2 decimal places)",
        ),
        (
            "1000000000000000000",
            "JPY",
            "amount 1000000000000000000 JPY is beyond the largest budget (JPY 999,999,999,999,999,999)",
        ),
    ],
)
def test_a_bad_amount_is_explained(amount: str, currency: str, problem: str) -> None:
    assert budget_amount_problem(Money.of(amount, currency)) == problem


def test_the_largest_budget_is_accepted_and_one_minor_unit_more_is_not() -> None:
    assert budget_amount_problem(Money.of("9999999999999999.99", "USD")) is None
    assert budget_amount_problem(Money.of("999999999999999999", "JPY")) is None
    assert budget_amount_problem(Money.of("1000000000000000000", "JPY")) is not None
    assert budget_amount_problem(Money.of("0.01", "USD")) is None


def test_a_budget_error_is_the_problem_alone_for_the_caller_to_name() -> None:
    with pytest.raises(ValueError, match=r"^amount must be positive, got 0 USD$"):
        Budget("core", Money.of("0", "USD"))
    with pytest.raises(ValueError, match=r"^duplicated threshold$"):
        Budget("core", Money.of("1", "USD"), thresholds=(Threshold.parse("80"),) * 2)
    with pytest.raises(ValueError, match=r"^budget name 'a b': use letters"):
        Budget("a b", Money.of("1", "USD"))


@pytest.mark.parametrize(
    ("text", "threshold", "shown"),
    [
        ("80", Threshold(Decimal(80), ThresholdBasis.ACTUAL), "80:actual"),
        (" 80% ", Threshold(Decimal(80), ThresholdBasis.ACTUAL), "80:actual"),
        ("100.50:forecast", Threshold(Decimal("100.5"), ThresholdBasis.FORECAST), "100.5:forecast"),
        ("1000", Threshold(Decimal(1000), ThresholdBasis.ACTUAL), "1000:actual"),
        ("0.01", Threshold(Decimal("0.01"), ThresholdBasis.ACTUAL), "0.01:actual"),
    ],
)
def test_thresholds_parse_and_print(text: str, threshold: Threshold, shown: str) -> None:
    assert Threshold.parse(text) == threshold
    assert str(Threshold.parse(text)) == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "threshold 'abc': expected PERCENT[:actual|forecast]"),
        ("NaN", "threshold 'NaN': expected a finite percentage"),
        ("80:maybe", "threshold '80:maybe': basis must be 'actual' or 'forecast'"),
        ("0", "threshold 0% out of range: expected 0 < percent <= 1000"),
        ("1000.01", "threshold 1000.01% out of range: expected 0 < percent <= 1000"),
    ],
)
def test_a_bad_threshold_says_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Threshold.parse(text)
    assert str(caught.value) == message


def test_a_threshold_that_is_not_a_decimal_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^threshold 80: expected a finite percentage$"):
        Threshold(80)  # type: ignore[arg-type]
