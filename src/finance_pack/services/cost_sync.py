"""`brctl finance ingest aws-ce`: fetch what the cost store lacks from Cost Explorer, store it.

Each request is billed to the account ($0.01), so we only fetch days that are missing from
the store or were still `Estimated` when last fetched, in as few contiguous ranges as possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from finance_pack.costs.records import days_to_fetch, remember_days, replace_days
from finance_pack.costs.store import CostStore
from finance_pack.providers.aws.cost_explorer import SOURCE, CostExplorerConnector, day_ranges


@dataclass(frozen=True, slots=True)
class CostExplorerSync:
    days_fetched: int
    requests: int
    rows: int


def sync_cost_explorer(
    store: CostStore, connector: CostExplorerConnector, start: date, end: date, now: datetime
) -> CostExplorerSync:
    """Fetch the missing or estimated days of [start, end) and replace them in the store."""
    wanted = days_to_fetch(store, SOURCE, start, end)
    fetched = rows = 0
    for range_start, range_end in day_ranges(wanted):
        # Only the days asked for: a day outside the span is not ours to replace.
        fetched_days = connector.fetch(range_start, range_end)
        days = {d.day: d for d in fetched_days if range_start <= d.day < range_end}
        span = [range_start + timedelta(days=i) for i in range((range_end - range_start).days)]
        records = [r for d in days.values() for r in d.records]
        rows += replace_days(store, SOURCE, span, records)
        remember_days(store, SOURCE, span, {d: day.estimated for d, day in days.items()}, now)
        fetched += len(span)
    return CostExplorerSync(fetched, connector.requests, rows)
