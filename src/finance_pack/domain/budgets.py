"""Budgets: a monthly amount over a scope of cost rows, with alert thresholds.

Every path that makes a budget (the CLI, the API, finance.yaml, a stored row) goes through
`Budget`, so what is refused on write is exactly what would be refused on read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from finance_pack.domain.currencies import minor_unit_exponent
from finance_pack.domain.money import Money

#: The longest budget name (the state store's column; also the Slack and audit key length).
MAX_BUDGET_NAME_LENGTH = 64
#: The largest budget in minor units: fits a signed 64-bit integer column on every database.
MAX_BUDGET_MINOR_UNITS = 10**18 - 1


def normalize_budget_name(text: str) -> str:
    """NFKC form, so look-alikes (fullwidth `ｔｏｔａｌ`, ligatures) are the same name."""
    return unicodedata.normalize("NFKC", text.strip())


def budget_name_problem(name: str) -> str | None:
    """Why `name` cannot name a budget, or None when it can."""
    shown = name if len(name) <= 80 else name[:77] + "..."
    if len(name) > MAX_BUDGET_NAME_LENGTH:
        return (
            f"budget name {shown!r} is {len(name)} characters long: "
            f"at most {MAX_BUDGET_NAME_LENGTH}"
        )
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        return f"budget name {shown!r}: use letters, digits, '-' and '_'"
    if unicodedata.normalize("NFKC", name) != name:
        normal = unicodedata.normalize("NFKC", name)
        return f"budget name {shown!r} is not in normal form: it reads as {normal!r}"
    return None


def budget_amount_problem(amount: Money) -> str | None:
    """Why `amount` cannot be a monthly budget, or None: positive, within the stored range,
    and no more precise than the currency's minor unit (a cent is the smallest USD budget step).
    """
    exponent = minor_unit_exponent(amount.currency)
    largest = Money(Decimal(MAX_BUDGET_MINOR_UNITS).scaleb(-exponent), amount.currency)
    value = amount.amount
    if value <= 0:
        return f"amount must be positive, got {value:f} {amount.currency}"
    if value > largest.amount:
        return f"amount {value} {amount.currency} is beyond the largest budget ({largest})"
    if value != value.quantize(Decimal(1).scaleb(-exponent)):
        return (
            f"amount {value:f} is more precise than {amount.currency}'s minor unit "
            f"({exponent} decimal places)"
        )
    return None


class ThresholdBasis(StrEnum):
    ACTUAL = "actual"
    FORECAST = "forecast"


@dataclass(frozen=True, slots=True, order=True)
class Threshold:
    """Alert when consumption on `basis` reaches `percent` of the budget."""

    percent: Decimal
    basis: ThresholdBasis = ThresholdBasis.ACTUAL

    def __post_init__(self) -> None:
        # NaN and sNaN make comparisons raise (not answer False): refuse them first.
        if not isinstance(self.percent, Decimal) or not self.percent.is_finite():
            raise ValueError(f"threshold {self.percent}: expected a finite percentage")
        if not (Decimal(0) < self.percent <= Decimal(1000)):
            raise ValueError(
                f"threshold {self.percent}% out of range: expected 0 < percent <= 1000"
            )

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """`80` (actual) or `100:forecast`."""
        percent_text, _, basis_text = text.strip().partition(":")
        try:
            percent = Decimal(percent_text.rstrip("%"))
        except ArithmeticError as exc:
            raise ValueError(f"threshold {text!r}: expected PERCENT[:actual|forecast]") from exc
        if not percent.is_finite():
            raise ValueError(f"threshold {text!r}: expected a finite percentage")
        try:
            basis = ThresholdBasis(basis_text or "actual")
        except ValueError as exc:
            raise ValueError(f"threshold {text!r}: basis must be 'actual' or 'forecast'") from exc
        return cls(percent, basis)

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}:{self.basis.value}"


@dataclass(frozen=True, slots=True)
class Scope:
    """Filters on cost rows; an empty filter matches everything. Values within one filter OR;
    filters AND together (AWS Budgets' cost-filter semantics)."""

    providers: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [
            f"{label}={','.join(sorted(values))}"
            for label, values in (
                ("provider", self.providers),
                ("account", self.accounts),
                ("service", self.services),
                ("region", self.regions),
            )
            if values
        ]
        parts += [f"tag:{key}={','.join(sorted(v))}" for key, v in sorted(self.tags.items())]
        return " ".join(parts) or "all spend"


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    amount: Money
    scope: Scope = Scope()
    thresholds: tuple[Threshold, ...] = ()

    def __post_init__(self) -> None:
        # The problem alone: whoever builds a budget names it in the message (the service as
        # "budget NAME: ...", the store as "stored budget 'NAME' is invalid: ..."), once.
        problem = budget_name_problem(self.name)
        if problem:
            raise ValueError(problem)
        problem = budget_amount_problem(self.amount)
        if problem:
            raise ValueError(problem)
        if len(set(self.thresholds)) != len(self.thresholds):
            raise ValueError("duplicated threshold")
        object.__setattr__(self, "thresholds", tuple(sorted(self.thresholds)))


@dataclass(frozen=True, slots=True)
class BudgetFailure:
    """A budget that cannot be read or computed: shown in its own row, never hiding the rest."""

    budget: str
    error: str

    def to_json_dict(self) -> dict[str, object]:
        return {"budget": self.budget, "status": "error", "error": self.error}
