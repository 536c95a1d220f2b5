"""Spend grouped by one dimension for a month, against the same stretch of the month before.

This is the cost explorer behind `GET /v1/costs`, `brctl finance costs` and the dashboard: one
use case, so the three always show the same figures. A month still under way is compared with the
same number of days of the previous month (what AWS Cost Explorer calls month-to-date against the
same period), so a change is never just "the month is not over yet".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import ibis

from finance_pack.costs.queries import CostQueries, Metric
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.errors import UsageError

GROUPS = ("service", "account", "region", "provider")
NO_VALUE = "(none)"
_TAG_KEY = re.compile(r"^[^\"\\\x00-\x1f]{1,128}$")


@dataclass(frozen=True, slots=True)
class GroupBy:
    """`service`, `account`, `region`, `provider` or `tag:KEY`."""

    kind: str
    tag_key: str | None = None

    @classmethod
    def parse(cls, text: str) -> GroupBy:
        if text in GROUPS:
            return cls(text)
        if text.startswith("tag:") and _TAG_KEY.match(text[4:]):
            return cls("tag", text[4:])
        raise UsageError(
            f"group by {text!r}: expected one of {', '.join(GROUPS)} or tag:KEY",
            hint="for example --group-by service or --group-by tag:team",
        )

    def __str__(self) -> str:
        return f"tag:{self.tag_key}" if self.tag_key is not None else self.kind

    def key_of(self, table: Any) -> Any:
        """The grouping key as an Ibis expression; rows without a value group as `(none)`."""
        if self.kind == "service":
            key = table.ServiceName
        elif self.kind == "account":
            key = table.SubAccountId.fill_null(table.BillingAccountId)
        elif self.kind == "region":
            key = table.RegionId
        elif self.kind == "provider":
            key = table.ProviderName
        else:
            # Tags are stored as minified JSON (`canonical_tags_json`): a key's value is the
            # string after `"KEY":`; quotes inside values are escaped, so this cannot overrun.
            pattern = '"' + re.escape(str(self.tag_key)) + r'":"((?:[^"\\]|\\.)*)"'
            key = table.Tags.re_extract(pattern, 1)
        return ibis.coalesce(key.nullif(""), ibis.literal(NO_VALUE))


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    key: str
    currency: str
    amount: Decimal
    previous: Decimal

    @property
    def change(self) -> Decimal:
        return self.amount - self.previous

    @property
    def change_pct(self) -> Decimal | None:
        """Change against the previous period in percent; None when that period had nothing."""
        if self.previous == 0:
            return None
        return (self.change / abs(self.previous) * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class Breakdown:
    group_by: GroupBy
    month: BillingMonth
    start: datetime
    end: datetime  # the end of the data shown: month end, or as_of while the month runs
    previous_start: datetime
    previous_end: datetime
    rows: tuple[BreakdownRow, ...]

    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(amount, previous) per currency: amounts in different currencies are never added."""
        sums: dict[str, tuple[Decimal, Decimal]] = {}
        for row in self.rows:
            amount, previous = sums.get(row.currency, (Decimal(0), Decimal(0)))
            sums[row.currency] = (amount + row.amount, previous + row.previous)
        return sums


def cost_breakdown(
    queries: CostQueries, group_by: GroupBy, month: BillingMonth, metric: Metric = "BilledCost"
) -> Breakdown:
    """Spend of `month` by `group_by` (up to the newest data), biggest first, with the same
    stretch of the previous month beside it."""
    as_of = queries.as_of()
    end = month.end if as_of is None else max(month.start, min(month.end, as_of))
    previous = month.previous()
    previous_end = min(previous.end, previous.start + (end - month.start))
    current = _sums(queries, group_by, month.start, end, metric)
    before = _sums(queries, group_by, previous.start, previous_end, metric)
    zero = Decimal(0)
    rows = [
        BreakdownRow(
            key, currency, current.get((key, currency), zero), before.get((key, currency), zero)
        )
        for key, currency in set(current) | set(before)
    ]
    rows.sort(key=lambda r: (-r.amount, -r.previous, r.currency, r.key))
    return Breakdown(group_by, month, month.start, end, previous.start, previous_end, tuple(rows))


def _sums(
    queries: CostQueries, group_by: GroupBy, start: datetime, end: datetime, metric: Metric
) -> dict[tuple[str, str], Decimal]:
    if end <= start:
        return {}
    tag_keys = (group_by.tag_key,) if group_by.tag_key is not None else ()
    table = queries.daily_rows(start, end, tag_keys)
    expr = (
        table.mutate(key=group_by.key_of(table))
        .group_by(["key", "BillingCurrency"])
        .aggregate(amount=table[metric].sum())
    )
    return {
        (str(row["key"]), str(row["BillingCurrency"])): Decimal(row["amount"])
        for row in expr.to_pyarrow().to_pylist()
    }
