"""The daily rollup the KPIs read, maintained in the same transaction as the line items.

Grain: (source, day, provider, billing account, sub account, service, region, currency, tags),
where `tags` is the row's Tags reduced to the rollup tag keys (all keys by default). Hourly
line items collapse at least 24 to 1; restricting the tag keys to those budgets filter on keeps
resource-level tags (`Name`, ...) from multiplying the rows.

`last_end` tracks how fresh the data is: the latest charge period end among rows of a day or
less, so a monthly fee dated on the 1st does not claim the whole month is complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from finance_pack.costs import schema

Grain = Literal["month", "day"]

_DIMENSIONS = ", ".join(f'"{name}"' for name in schema.DIMENSIONS)

_FRESHNESS = (
    'max(CASE WHEN "ChargePeriodEnd" - "ChargePeriodStart" <= INTERVAL 1 DAY '
    'THEN "ChargePeriodEnd" ELSE "ChargePeriodStart" END)'
)


def tags_projection_sql(keys: Sequence[str] | None, column: str = '"Tags"') -> str:
    """SQL that reduces a canonical Tags JSON text to `keys`, still canonical (minified)."""
    if keys is None:
        return column
    if not keys:
        return "'{}'"
    pairs = ", ".join(
        f"{_sql_string(key)}, json_extract_string({column}, {_sql_string(_json_path(key))})"
        for key in keys
    )
    # json_object keeps absent keys as null; nulls never match a `"key":"value"` needle.
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def _json_path(key: str) -> str:
    return "$." + json.dumps(key)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rollup_insert_sql(where: str, keys: Sequence[str] | None) -> str:
    """INSERT the rollup rows for the line items matching `where`.

    Two stages: group by the full Tags text first (cheap hashing, few distinct tag sets in real
    exports), then project tags and regroup over the small intermediate.
    """
    return f"""
        INSERT INTO {schema.DAILY}
        WITH by_tag_set AS (
            SELECT source, billing_period, CAST("ChargePeriodStart" AS DATE) AS usage_date,
                   {_DIMENSIONS}, "Tags",
                   sum("BilledCost") AS billed, sum("EffectiveCost") AS effective,
                   {_FRESHNESS} AS last_end, count(*) AS row_count
            FROM {schema.LINE_ITEMS}
            WHERE {where}
            GROUP BY ALL
        )
        SELECT source, billing_period, usage_date, {_DIMENSIONS},
               {tags_projection_sql(keys)} AS "Tags",
               sum(billed), sum(effective), max(last_end), sum(row_count)
        FROM by_tag_set
        GROUP BY ALL
    """


def replace_restated(
    con: Any, first_load_id: int, grain: Grain, keys: Sequence[str] | None
) -> None:
    """Drop what the new load (load ids >= `first_load_id`) restates, then roll the load up.

    A month grain replaces whole billing periods per source (file exports); a day grain
    replaces single days (Cost Explorer fetches). Call inside the load's transaction.
    """
    by_month = grain == "month"
    key_of_new = "billing_period" if by_month else 'CAST("ChargePeriodStart" AS DATE)'
    key_of_old = "f.billing_period" if by_month else 'CAST(f."ChargePeriodStart" AS DATE)'
    rollup_key = "billing_period" if by_month else "usage_date"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE restated AS
            SELECT DISTINCT source, {key_of_new} AS period
            FROM {schema.LINE_ITEMS} WHERE load_id >= {first_load_id}"""
    )
    con.execute(
        f"""DELETE FROM {schema.LINE_ITEMS} AS f USING restated AS r
            WHERE f.load_id < {first_load_id} AND f.source = r.source AND {key_of_old} = r.period"""
    )
    con.execute(
        f"""DELETE FROM {schema.DAILY} AS d USING restated AS r
            WHERE d.source = r.source AND d.{rollup_key} = r.period"""
    )
    con.execute(rollup_insert_sql(f"load_id >= {first_load_id}", keys))
    con.execute("DROP TABLE restated")


def rebuild_rollup(con: Any, keys: Sequence[str] | None) -> None:
    con.execute(f"DELETE FROM {schema.DAILY}")
    con.execute(rollup_insert_sql("true", keys))
