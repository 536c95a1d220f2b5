"""Writing cost records from a long-running producer (the Cost Watcher's stream, connectors).

Each call takes the cost store's writer lock (waiting up to `wait` seconds for another writer,
then `StoreBusyError`), writes into a new generation and publishes it as one snapshot: readers
see all of a call's records or none of them. Batch points per call: every call copies the store
file once (about 1 % of a full ingest's time, see `finance_pack.costs.snapshots`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from finance_pack.costs import records as _records
from finance_pack.costs.snapshots import StoreBusyError, open_for_writing
from finance_pack.domain.costs import CostRecord

__all__ = ["StoreBusyError", "append_records", "replace_records"]


def append_records(
    url: str,
    timezone: str,
    source: str,
    records: Sequence[CostRecord],
    *,
    wait: float | None = 60.0,
) -> int:
    """Add `records` under `source`, keeping what is stored; returns the rows written."""
    with open_for_writing(url, timezone, wait=wait) as store:
        return _records.append_records(store, source, records)


def replace_records(
    url: str,
    timezone: str,
    source: str,
    days: Sequence[date],
    records: Sequence[CostRecord],
    *,
    wait: float | None = 60.0,
) -> int:
    """Make the UTC `days` of `source` hold exactly `records` (idempotent: a re-sent batch
    replaces itself); returns the rows written."""
    with open_for_writing(url, timezone, wait=wait) as store:
        return _records.replace_days(store, source, days, records)
