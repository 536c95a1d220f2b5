"""Exchange rates from finance.yaml, dated by month: the one rule for foreign-currency spend.

A cost row in another currency than the billing currency is converted with the rate of its
month (the local month of its usage day, in the billing time zone); a row whose month has no
rate is refused at ingest. A pair written with a single number applies to every month.
Conversion is exact decimal multiplication; the inverse pair is used when only it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from finance_pack.domain.errors import UsageError

#: (from currency, to currency) -> {"YYYY-MM" or None (every month): units of `to` per `from`}
RateTable = Mapping[tuple[str, str], Mapping[str | None, Decimal]]


class MissingFxRateError(UsageError):
    """Spend in one currency met a budget or store in another, with no rate for its month."""

    def __init__(self, source: str, target: str, month: str) -> None:
        super().__init__(
            f"no {source}/{target} exchange rate for {month} (finance.yaml fx_rates)",
            hint=f'add fx_rates: {{"{source}/{target}": {{"{month}": "<rate>"}}}} '
            "to finance.yaml, or re-ingest without the foreign-currency rows",
        )
        self.source = source
        self.target = target
        self.month = month


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class FxTable:
    """Dated exchange rates; `rate` answers for a pair and a month, or None."""

    rates: RateTable = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Decimal | Mapping[str, Decimal]]) -> FxTable:
        """From finance.yaml `fx_rates`: `"EUR/USD": 1.08` or `"EUR/USD": {"2026-11": 1.08}`."""
        table: dict[tuple[str, str], dict[str | None, Decimal]] = {}
        for pair, value in config.items():
            source, target = pair.split("/")
            dated: dict[str | None, Decimal] = {}
            if isinstance(value, Decimal):
                dated[None] = value
            else:
                dated.update(value)
            table[(source, target)] = dated
        return cls(table)

    @classmethod
    def constant(cls, rates: Mapping[tuple[str, str], Decimal]) -> FxTable:
        return cls({pair: {None: rate} for pair, rate in rates.items()})

    def rate(self, source: str, target: str, month: str) -> Decimal | None:
        if source == target:
            return Decimal(1)
        direct = self._lookup((source, target), month)
        if direct is not None:
            return direct
        inverse = self._lookup((target, source), month)
        return None if inverse is None else Decimal(1) / inverse

    def covers(self, source: str, target: str, month: str) -> bool:
        return self.rate(source, target, month) is not None

    def convert(self, amount: Decimal, source: str, target: str, day: date) -> Decimal:
        month = month_key(day)
        rate = self.rate(source, target, month)
        if rate is None:
            raise MissingFxRateError(source, target, month)
        return amount if source == target else amount * rate

    def _lookup(self, pair: tuple[str, str], month: str) -> Decimal | None:
        dated = self.rates.get(pair)
        if dated is None:
            return None
        return dated.get(month, dated.get(None))
