"""Budgets: a monthly amount over a scope of cost rows, with alert thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from finance_pack.domain.money import Money


class ThresholdBasis(StrEnum):
    ACTUAL = "actual"
    FORECAST = "forecast"


@dataclass(frozen=True, slots=True, order=True)
class Threshold:
    """Alert when consumption on `basis` reaches `percent` of the budget."""

    percent: Decimal
    basis: ThresholdBasis = ThresholdBasis.ACTUAL

    def __post_init__(self) -> None:
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
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"budget name {self.name!r}: use letters, digits, '-' and '_'")
        if self.amount.amount <= 0:
            raise ValueError(f"budget {self.name}: amount must be positive, got {self.amount}")
        if len(set(self.thresholds)) != len(self.thresholds):
            raise ValueError(f"budget {self.name}: duplicated threshold")
        object.__setattr__(self, "thresholds", tuple(sorted(self.thresholds)))
