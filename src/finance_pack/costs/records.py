"""Load canonical `CostRecord`s (from API connectors, not files) into the cost store.

Same transaction shape as file ingestion, but a connector restates single UTC days: re-fetching
a day from Cost Explorer replaces that day for the source and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa

from finance_pack.costs import schema
from finance_pack.costs.rollup import replace_utc_days
from finance_pack.costs.store import CostStore
from finance_pack.domain.costs import CostRecord, canonical_tags_json

_COST = pa.decimal128(38, 12)


def records_table(records: Sequence[CostRecord], source: str, load_id: int) -> pa.Table:
    def naive(values: Iterable[Any]) -> list[Any]:
        return [v.replace(tzinfo=None) for v in values]

    return pa.table(
        {
            "source": pa.array([source] * len(records), pa.string()),
            "billing_period": pa.array([r.billing_period.date() for r in records], pa.date32()),
            "load_id": pa.array([load_id] * len(records), pa.int64()),
            "ChargePeriodStart": pa.array(
                naive(r.charge_period_start for r in records), pa.timestamp("us")
            ),
            "ChargePeriodEnd": pa.array(
                naive(r.charge_period_end for r in records), pa.timestamp("us")
            ),
            "BilledCost": pa.array([r.billed_cost.amount for r in records], _COST),
            "EffectiveCost": pa.array([r.effective_cost.amount for r in records], _COST),
            "BillingCurrency": [r.billing_currency for r in records],
            "ProviderName": [r.provider_name for r in records],
            "BillingAccountId": [r.billing_account_id for r in records],
            "SubAccountId": pa.array([r.sub_account_id for r in records], pa.string()),
            "ServiceName": [r.service_name for r in records],
            "ServiceCategory": pa.array([r.service_category for r in records], pa.string()),
            "RegionId": pa.array([r.region_id for r in records], pa.string()),
            "ChargeCategory": pa.array([r.charge_category for r in records], pa.string()),
            "Tags": [canonical_tags_json(r.tags) for r in records],
        }
    )


def replace_days(
    store: CostStore, source: str, days: Sequence[date], records: Sequence[CostRecord]
) -> int:
    """Make `days` of `source` hold exactly `records` (an empty day is cleared), atomically."""
    con = store.duckdb
    row = con.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {schema.LINE_ITEMS}").fetchone()
    load_id = int(row[0])
    stray = [r for r in records if r.charge_period_start.date() not in set(days)]
    if stray:
        raise ValueError(f"record dated {stray[0].charge_period_start} is outside the days given")
    con.begin()
    try:
        if records:
            incoming = records_table(records, source, load_id)
            con.register("incoming_records", incoming)
            con.execute(f"INSERT INTO {schema.LINE_ITEMS} BY NAME SELECT * FROM incoming_records")
            con.unregister("incoming_records")
        replace_utc_days(con, source, days, load_id, store.rollup_layout())
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(records)


def days_to_fetch(store: CostStore, source: str, start: date, end: date) -> list[date]:
    """Days in [start, end) never fetched, or fetched while the source still estimated them."""
    final = {
        row[0]
        for row in store.duckdb.execute(
            f"SELECT usage_date FROM {schema.CE_DAYS} WHERE source = ? AND NOT estimated "
            "AND usage_date >= ? AND usage_date < ?",
            [source, start, end],
        ).fetchall()
    }
    count = (end - start).days
    return [d for d in (start + timedelta(days=i) for i in range(count)) if d not in final]


def remember_days(
    store: CostStore,
    source: str,
    span: Sequence[date],
    estimated: Mapping[date, bool],
    now: datetime,
) -> None:
    """Record which days of `span` were fetched final; a day the source did not return is
    treated as estimated, so it is asked for again next time."""
    con = store.duckdb
    con.execute(
        f"DELETE FROM {schema.CE_DAYS} "
        "WHERE source = ? AND usage_date IN (SELECT unnest(?::DATE[]))",
        [source, list(span)],
    )
    con.executemany(
        f"INSERT INTO {schema.CE_DAYS} VALUES (?, ?, ?, ?)",
        [[source, d, estimated.get(d, True), now.replace(tzinfo=None)] for d in span],
    )
