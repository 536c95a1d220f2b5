"""The reads KPIs use, as Ibis expressions over the daily rollup: the same code runs on DuckDB,
Spark and any other Ibis backend holding the cost tables.

Many budgets are answered by one query that evaluates each scope once per distinct (dimensions,
tags) tuple in `cost_dims`, not once per rollup row, then joins the rollup on `dims_id`.
Scopes whose tag keys the rollup does not keep are answered from the line items instead
(correct, slower). Spend is attributed to the day its charge period starts.

Days are local dates in the rollup time zone (recorded in `cost_meta`, the billing time zone):
a day's point starts at the UTC instant of its local midnight and lasts 23, 24 or 25 hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import ceil
from typing import Any, Literal
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa

from finance_pack.costs import schema
from finance_pack.costs.rollup import UTC_ZONE
from finance_pack.costs.store import read_rollup_layout
from finance_pack.domain.billing_month import billing_zone, local_midnight_utc
from finance_pack.domain.budgets import Scope
from finance_pack.domain.costs import tag_needle
from finance_pack.domain.instants import as_utc
from finance_pack.domain.money import CurrencyMismatchError, Money
from finance_pack.domain.spend import SpendPoint, SpendSeries

Metric = Literal["BilledCost", "EffectiveCost"]
Dimension = Literal["service", "account"]
DEFAULT_CURRENCY = "USD"
_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DimensionSpend:
    key: str
    amount: Money


@dataclass(frozen=True, slots=True)
class _Extent:
    freshness: dict[str, datetime]
    data_start: datetime | None


class CostQueries:
    """KPI reads over an Ibis backend holding `cost_daily`, `cost_dims` and `cost_line_items`."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        layout = read_rollup_layout(backend)
        self.rollup_tag_keys = layout.tag_keys
        self.timezone = layout.timezone
        self._days = _LocalDays(billing_zone(layout.timezone))

    # ---- building blocks -----------------------------------------------------------------

    def _rollup_keeps_tags(self, scope: Scope) -> bool:
        keys = self.rollup_tag_keys
        return keys is None or set(scope.tags) <= set(keys)

    def _daily_for(self, scope: Scope, first: date, stop: date) -> Any:
        """The rollup, or line items shaped like it when the rollup lost a tag key we need
        (`first`, `stop`: the local days wanted)."""
        if self._rollup_keeps_tags(scope):
            return self.backend.table(schema.DAILY)
        items = self.backend.table(schema.LINE_ITEMS)
        if self.timezone == UTC_ZONE:
            return items.mutate(usage_date=items.ChargePeriodStart.date())
        # No portable zone conversion in Ibis: match each row to its local day's UTC span.
        days = ibis.memtable(self._days.spans(first, stop))
        joined = items.join(
            days,
            [items.ChargePeriodStart >= days.day_start, items.ChargePeriodStart < days.day_end],
        )
        return joined.drop("day_start", "day_end")

    def _scoped(self, scope: Scope, start: datetime, end: datetime, currency: str | None) -> Any:
        first, stop = self._days.floor(start), self._days.ceil(end)
        table = self._daily_for(scope, first, stop)
        predicates = [
            table.usage_date >= first,
            table.usage_date < stop,
            *scope_predicates(table, scope),
        ]
        if currency:
            predicates.append(table.BillingCurrency == currency)
        return table.filter(*predicates)

    # ---- public reads --------------------------------------------------------------------

    def spend_series(
        self,
        scope: Scope,
        start: datetime,
        end: datetime,
        currency: str | None = None,
        metric: Metric = "BilledCost",
    ) -> SpendSeries:
        return self.spend_series_many({"_": scope}, start, end, currency, metric)["_"]

    def spend_series_many(
        self,
        scopes: Mapping[str, Scope],
        start: datetime,
        end: datetime,
        currency: str | None = None,
        metric: Metric = "BilledCost",
    ) -> dict[str, SpendSeries]:
        """Daily spend of every scope in one query, plus one for freshness and data start."""
        names = list(scopes)
        on_rollup = [i for i, name in enumerate(names) if self._rollup_keeps_tags(scopes[name])]
        on_items = [i for i in range(len(names)) if i not in set(on_rollup)]
        parts = []
        if on_rollup:
            parts.append(self._rollup_sums(scopes, names, on_rollup, start, end, currency, metric))
        parts += [
            self._scoped(scopes[names[i]], start, end, currency)
            .group_by(["usage_date", "BillingCurrency"])
            .aggregate(amount=lambda t: t[metric].sum())
            .mutate(scope=ibis.literal(i, type="int64"))
            for i in on_items
        ]
        rows_by_scope: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        if parts:
            for row in ibis.union(*parts, distinct=False).to_pyarrow().to_pylist():
                rows_by_scope[names[row["scope"]]].append(row)
        extent = self._extent()
        return {
            name: self._days.series(
                rows_by_scope[name],
                currency,
                _as_of(extent.freshness, scopes[name]),
                (start, end),
                extent.data_start,
            )
            for name in names
        }

    def _rollup_sums(
        self,
        scopes: Mapping[str, Scope],
        names: Sequence[str],
        indexes: Sequence[int],
        start: datetime,
        end: datetime,
        currency: str | None,
        metric: Metric,
    ) -> Any:
        """Per scope, day and currency: spend, by matching scopes against the distinct
        (dimensions, tags) tuples once, then joining the rollup on their ids."""
        dims = self.backend.table(schema.DIMS)
        scope_ids = ibis.array(
            [_index_if(_all_of(scope_predicates(dims, scopes[names[i]])), i) for i in indexes]
        )
        members = dims.select(dims.dims_id, scope=scope_ids.unnest())
        members = members.filter(members.scope >= 0)
        daily = self.backend.table(schema.DAILY)
        window = [
            daily.usage_date >= self._days.floor(start),
            daily.usage_date < self._days.ceil(end),
        ]
        if currency:
            window.append(daily.BillingCurrency == currency)
        spend = daily.filter(*window).select("dims_id", "usage_date", "BillingCurrency", metric)
        joined = spend.join(members, "dims_id")
        return (
            joined.group_by(["usage_date", "BillingCurrency", "scope"])
            .aggregate(amount=joined[metric].sum())
            .select("usage_date", "BillingCurrency", "amount", "scope")
        )

    def freshness_by_provider(self) -> dict[str, datetime]:
        """Per provider: end of the last complete hour of data present."""
        return self._extent().freshness

    def _extent(self) -> _Extent:
        """Freshness per provider and the first day of data, in one query."""
        daily = self.backend.table(schema.DAILY)
        expr = daily.group_by("ProviderName").aggregate(
            last_end=daily.last_end.max(), first=daily.usage_date.min()
        )
        rows = expr.to_pyarrow().to_pylist()
        firsts = [row["first"] for row in rows if row["first"] is not None]
        return _Extent(
            freshness={
                row["ProviderName"]: _floor_hour(row["last_end"])
                for row in rows
                if row["last_end"] is not None
            },
            data_start=self._days.start(min(firsts)) if firsts else None,
        )

    def data_start(self) -> datetime | None:
        """Start of the oldest cost data in the store: before it, no data is not zero spend."""
        daily = self.backend.table(schema.DAILY)
        first = daily.aggregate(first=daily.usage_date.min()).to_pyarrow().to_pylist()[0]["first"]
        return None if first is None else self._days.start(first)

    def as_of(self, scope: Scope | None = None) -> datetime | None:
        return _as_of(self.freshness_by_provider(), scope or Scope())

    def daily_rows(self, start: datetime, end: datetime, tag_keys: Sequence[str] = ()) -> Any:
        """Daily rows of the local days covering [start, end): the rollup, or line items shaped
        like it when the rollup did not keep one of `tag_keys`."""
        first, stop = self._days.floor(start), self._days.ceil(end)
        table = self._daily_for(Scope(tags=dict.fromkeys(tag_keys, frozenset())), first, stop)
        return table.filter(table.usage_date >= first, table.usage_date < stop)

    def spend_by_dimension(
        self,
        scope: Scope,
        dimension: Dimension,
        start: datetime,
        end: datetime,
        metric: Metric = "BilledCost",
    ) -> list[DimensionSpend]:
        """Spend per service or per account (sub account, else billing account), biggest first."""
        table = self._scoped(scope, start, end, None)
        key = (
            table.ServiceName
            if dimension == "service"
            else table.SubAccountId.fill_null(table.BillingAccountId)
        )
        expr = (
            table.mutate(key=key)
            .group_by(["key", "BillingCurrency"])
            .aggregate(amount=table[metric].sum())
        )
        result = [
            DimensionSpend(str(row["key"]), Money(row["amount"], row["BillingCurrency"]))
            for row in expr.to_pyarrow().to_pylist()
        ]
        return sorted(result, key=lambda d: (-d.amount.amount, d.amount.currency, d.key))


def scope_predicates(table: Any, scope: Scope) -> list[Any]:
    """Budget scope as Ibis predicates: values OR within a filter, filters AND together.

    An account filter matches the billing account or the sub (linked) account.
    """
    predicates = []
    if scope.providers:
        predicates.append(table.ProviderName.isin(sorted(scope.providers)))
    if scope.accounts:
        accounts = sorted(scope.accounts)
        predicates.append(
            table.BillingAccountId.isin(accounts)
            | table.SubAccountId.isin(accounts).fill_null(False)
        )
    if scope.services:
        predicates.append(table.ServiceName.isin(sorted(scope.services)))
    if scope.regions:
        predicates.append(table.RegionId.isin(sorted(scope.regions)))
    for key, values in sorted(scope.tags.items()):
        needles = [tag_needle(key, value) for value in sorted(values)]
        if len(needles) == 1:
            predicates.append(table.Tags.contains(needles[0]))
        else:
            # One regular expression scans the text once, where OR-ed `contains` scan it per value.
            predicates.append(table.Tags.re_search("|".join(map(_regex_literal, needles))))
    return predicates


def _regex_literal(text: str) -> str:
    """`text` matched literally, spelled the same for RE2 (DuckDB) and Java (Spark)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def _all_of(predicates: Sequence[Any]) -> Any:
    return ibis.and_(*predicates) if predicates else None


def _index_if(predicate: Any, index: int) -> Any:
    """`index` where the scope's predicate holds, else -1 (null counts as not matching)."""
    if predicate is None:
        return ibis.literal(index, type="int64")
    return predicate.ifelse(ibis.literal(index, type="int64"), ibis.literal(-1, type="int64"))


class _LocalDays:
    """Local days of the rollup time zone as UTC instants, and the series built on them."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        # Every series walks the same days: one zone conversion per day, not per day and budget.
        self._starts: dict[date, datetime] = {}

    def start(self, day: date) -> datetime:
        """The UTC instant `day` starts (its local midnight)."""
        instant = self._starts.get(day)
        if instant is None:
            instant = self._starts[day] = local_midnight_utc(day, self.zone)
        return instant

    def floor(self, moment: datetime) -> date:
        """The local day `moment` falls in (naive means UTC)."""
        return as_utc(moment).astimezone(self.zone).date()

    def ceil(self, moment: datetime) -> date:
        """The first local day starting at or after `moment`."""
        day = self.floor(moment)
        return day if self.start(day) == moment else day + _ONE_DAY

    def hours(self, day: date) -> int:
        """23, 24 or 25 (daylight saving time)."""
        return int((self.start(day + _ONE_DAY) - self.start(day)) / _ONE_HOUR)

    def spans(self, first: date, stop: date) -> pa.Table:
        """Each local day in [first, stop) with its naive UTC [day_start, day_end)."""
        days = [first + timedelta(days=offset) for offset in range((stop - first).days)]
        starts = [self.start(day).replace(tzinfo=None) for day in [*days, stop]]
        return pa.table(
            {
                "usage_date": pa.array(days, pa.date32()),
                "day_start": pa.array(starts[:-1], pa.timestamp("us")),
                "day_end": pa.array(starts[1:], pa.timestamp("us")),
            }
        )

    def series(
        self,
        rows: Sequence[dict[str, Any]],
        currency: str | None,
        as_of: datetime | None,
        window: tuple[datetime, datetime],
        data_start: datetime | None,
    ) -> SpendSeries:
        """Daily points over the window, zero where no rows, from the first day of data on
        (before it, no rows means no data, not zero spend); the day `as_of` falls in is
        partial."""
        currencies = sorted({row["BillingCurrency"] for row in rows})
        if currency is None and len(currencies) > 1:
            raise CurrencyMismatchError(currencies[0], currencies[1])
        chosen = currency or (currencies[0] if currencies else DEFAULT_CURRENCY)
        amounts = {row["usage_date"]: Decimal(row["amount"]) for row in rows}
        start, end = window
        horizon = min(end, as_of) if as_of else end
        day = self.floor(start)
        if data_start and self.start(day) < data_start:
            day = self.floor(data_start)
        points = []
        while self.start(day + _ONE_DAY) <= horizon:
            points.append(SpendPoint(self.start(day), amounts.pop(day, _ZERO), self.hours(day)))
            day += _ONE_DAY
        if self.start(day) < horizon:
            hours = ceil((horizon - self.start(day)) / _ONE_HOUR)
            points.append(SpendPoint(self.start(day), amounts.pop(day, _ZERO), hours))
        # Data dated after as_of (e.g. a fee row) is still spend; keep it rather than drop it.
        points += [SpendPoint(self.start(d), a, self.hours(d)) for d, a in amounts.items()]
        return SpendSeries(chosen, tuple(sorted(points, key=_start_of)), as_of)


def _start_of(point: SpendPoint) -> datetime:
    return point.start


def _as_of(freshness: Mapping[str, datetime], scope: Scope) -> datetime | None:
    relevant = [
        end
        for provider, end in freshness.items()
        if not scope.providers or provider in scope.providers
    ]
    return max(relevant) if relevant else None


def _floor_hour(value: datetime) -> datetime:
    return as_utc(value).replace(minute=0, second=0, microsecond=0)
