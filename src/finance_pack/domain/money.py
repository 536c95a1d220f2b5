"""Exact money: a `Decimal` amount that always travels with its ISO 4217 currency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from finance_pack.domain.currencies import minor_unit_exponent, normalize_currency


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies met without an FX table."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(
            f"cannot combine {left} and {right} amounts without an FX table "
            "(configure fx_rates in finance.yaml or keep budgets in the billing currency)"
        )
        self.left = left
        self.right = right


class InvalidAmountError(ValueError):
    """An amount that is not a finite decimal number."""


def to_decimal(value: object) -> Decimal:
    """Parse an exact decimal; floats are refused because they are already inexact."""
    if isinstance(value, float):
        raise InvalidAmountError(f"refusing float amount {value!r}: pass a str or Decimal")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise InvalidAmountError(f"not a decimal number: {value!r}") from exc
    else:
        raise InvalidAmountError(f"not a decimal number: {value!r}")
    if not result.is_finite():
        raise InvalidAmountError(f"amount must be finite, got {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        exponent = minor_unit_exponent(currency)
        return cls(Decimal(units).scaleb(-exponent), currency)

    def to_minor_units(self) -> int:
        """Integer minor units (cents), rounding half-even as card networks do."""
        exponent = minor_unit_exponent(self.currency)
        return int(self.amount.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    def rounded(self) -> Money:
        """The amount rounded to the currency's minor unit."""
        quantum = Decimal(1).scaleb(-minor_unit_exponent(self.currency))
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_EVEN), self.currency)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def format(self) -> str:
        """Human form with thousands separators: `USD 12,345.67`."""
        exponent = minor_unit_exponent(self.currency)
        return f"{self.currency} {self.rounded().amount:,.{exponent}f}"

    def __str__(self) -> str:
        return self.format()


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Exact sum; every amount must be in `currency`."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
