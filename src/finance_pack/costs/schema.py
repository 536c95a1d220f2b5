"""The cost store's tables, as Ibis schemas (portable) and the DuckDB DDL the ingest path uses.

`cost_line_items` holds every row as loaded; `cost_daily` is the rollup the KPIs read: one row
per (source, day, provider, accounts, service, region, currency, rollup tags). `cost_dims` numbers
each distinct (dimensions, tags) tuple of the rollup once (`dims_id`, also on `cost_daily`), so
budget scopes are matched against the few distinct tuples instead of every rollup row. Timestamps
are stored as naive UTC so every backend (DuckDB, Spark, ...) reads the same instants; the
rollup's `usage_date` is a local date in the rollup time zone (`cost_meta` key `rollup_timezone`,
UTC when absent), `billing_period` the provider's UTC month.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from finance_pack.domain.costs import COST_SQL_TYPE

LINE_ITEMS = "cost_line_items"
DAILY = "cost_daily"
DIMS = "cost_dims"
LOADS = "cost_loads"
META = "cost_meta"
CE_DAYS = "cost_ce_days"

COST = dt.Decimal(38, 12)

DIMENSIONS: tuple[str, ...] = (
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "ServiceName",
    "RegionId",
    "BillingCurrency",
)

LINE_ITEMS_SCHEMA = ibis.schema(
    {
        "source": "string",
        "billing_period": "date",
        "load_id": "int64",
        "ChargePeriodStart": "timestamp",
        "ChargePeriodEnd": "timestamp",
        "BilledCost": COST,
        "EffectiveCost": COST,
        "BillingCurrency": "string",
        "ProviderName": "string",
        "BillingAccountId": "string",
        "SubAccountId": "string",
        "ServiceName": "string",
        "ServiceCategory": "string",
        "RegionId": "string",
        "ChargeCategory": "string",
        "Tags": "string",
    }
)

DAILY_SCHEMA = ibis.schema(
    {
        "source": "string",
        "billing_period": "date",
        "usage_date": "date",
        **dict.fromkeys(DIMENSIONS, "string"),
        "Tags": "string",
        "BilledCost": COST,
        "EffectiveCost": COST,
        "last_end": "timestamp",
        "row_count": "int64",
        "dims_id": "int64",
    }
)

DIMS_SCHEMA = ibis.schema(
    {"dims_id": "int64", **dict.fromkeys(DIMENSIONS, "string"), "Tags": "string"}
)

LOADS_SCHEMA = ibis.schema(
    {
        "load_id": "int64",
        "source": "string",
        "kind": "string",
        "files": "string",
        "rows": "int64",
        "rejected": "int64",
        "periods": "string",
        "loaded_at": "timestamp",
    }
)

META_SCHEMA = ibis.schema({"key": "string", "value": "string"})

CE_DAYS_SCHEMA = ibis.schema(
    {"source": "string", "usage_date": "date", "estimated": "boolean", "fetched_at": "timestamp"}
)

ALL_TABLES = {
    LINE_ITEMS: LINE_ITEMS_SCHEMA,
    DAILY: DAILY_SCHEMA,
    DIMS: DIMS_SCHEMA,
    LOADS: LOADS_SCHEMA,
    META: META_SCHEMA,
    CE_DAYS: CE_DAYS_SCHEMA,
}


def duckdb_type(dtype: dt.DataType) -> str:
    """The DuckDB spelling of the few types our tables use."""
    if isinstance(dtype, dt.Decimal):
        return COST_SQL_TYPE
    return {
        dt.String: "VARCHAR",
        dt.Date: "DATE",
        dt.Int64: "BIGINT",
        dt.Timestamp: "TIMESTAMP",
        dt.Boolean: "BOOLEAN",
    }[type(dtype)]


def duckdb_ddl(name: str) -> str:
    columns = ", ".join(
        f'"{column}" {duckdb_type(dtype)}' for column, dtype in ALL_TABLES[name].items()
    )
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({columns})'
