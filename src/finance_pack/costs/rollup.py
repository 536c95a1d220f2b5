"""The daily rollup the KPIs read, maintained in the same transaction as the line items.

Grain: (source, day, provider, billing account, sub account, service, region, currency, tags),
where `tags` is the row's Tags reduced to the rollup tag keys (all keys by default). Hourly
line items collapse at least 24 to 1; restricting the tag keys to those budgets filter on keeps
resource-level tags (`Name`, ...) from multiplying the rows.

Each distinct (dimensions, tags) tuple gets a `dims_id` in `cost_dims` (ids are never reused;
tuples no longer present are harmless), so queries match scopes against those tuples only.

A load is rolled up file by file into a staged temp table (whose first grouping also counts
the rows failing validation, so a load is scanned once after it lands), then published.

The day is the local date of ChargePeriodStart in the rollup time zone (the billing time zone,
DESIGN.md section 3), so a local day's spend is one rollup day and month-to-date is exact at
local month boundaries. The billing period stays the provider's (UTC) month: file exports
restate whole UTC months, and a local day straddling two of them keeps one row per period.

`last_end` tracks how fresh the data is: the latest charge period end among rows of a day or
less, so a monthly fee dated on the 1st does not claim the whole month is complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from finance_pack.costs import schema
from finance_pack.costs.checks import ROW_CHECKS_SQL, LoadSummary, load_summary

UTC_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class RollupLayout:
    """How the daily rollup is cut: the tag keys it keeps (None: all) and the time zone whose
    local dates are its days (an IANA key)."""

    tag_keys: tuple[str, ...] | None = None
    timezone: str = UTC_ZONE


def local_date_sql(column: str, timezone: str) -> str:
    """SQL for the local date, in `timezone`, of a naive UTC timestamp `column`."""
    if timezone == UTC_ZONE:
        # Stored timestamps are naive UTC: their date is the UTC date, no zone lookup per row.
        return f"CAST({column} AS DATE)"
    # TIMESTAMP AT TIME ZONE 'UTC' reads the naive value as a UTC instant (TIMESTAMPTZ);
    # TIMESTAMPTZ AT TIME ZONE tz gives the wall-clock TIMESTAMP there.
    return f"CAST(({column} AT TIME ZONE 'UTC') AT TIME ZONE {_sql_string(timezone)} AS DATE)"


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


STAGED = "staged_daily"
_DIMS_AND_TAGS = f'{_DIMENSIONS}, "Tags"'


def rollup_select_sql(where: str, layout: RollupLayout) -> str:
    """SELECT rollup rows per load (with `load_id` and `bad_rows`, without `dims_id`) for the
    line items matching `where`.

    Two stages: group by the full Tags text first (cheap hashing, few distinct tag sets in real
    exports), then project tags and regroup over the small intermediate.
    """
    return f"""
        WITH by_tag_set AS (
            SELECT load_id, source, billing_period,
                   {local_date_sql('"ChargePeriodStart"', layout.timezone)} AS usage_date,
                   {_DIMENSIONS}, "Tags",
                   sum("BilledCost") AS billed, sum("EffectiveCost") AS effective,
                   {_FRESHNESS} AS last_end, count(*) AS row_count,
                   count(*) FILTER (WHERE {ROW_CHECKS_SQL}) AS bad_rows
            FROM {schema.LINE_ITEMS}
            WHERE {where}
            GROUP BY ALL
        )
        SELECT load_id, source, billing_period, usage_date, {_DIMENSIONS},
               {tags_projection_sql(layout.tag_keys)} AS "Tags",
               sum(billed) AS "BilledCost", sum(effective) AS "EffectiveCost",
               max(last_end) AS last_end, sum(row_count) AS row_count,
               sum(bad_rows) AS bad_rows
        FROM by_tag_set
        GROUP BY ALL
    """


def discard_staged(con: Any) -> None:
    con.execute(f"DROP TABLE IF EXISTS {STAGED}")


def stage_load(con: Any, load_id: int, layout: RollupLayout) -> LoadSummary:
    """Stage the rollup rows of one load (replacing any staged before) and summarise it."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGED} AS {rollup_select_sql('false', layout)}")
    con.execute(f"DELETE FROM {STAGED} WHERE load_id = {load_id}")
    con.execute(f"INSERT INTO {STAGED} {rollup_select_sql(f'load_id = {load_id}', layout)}")
    summary = con.execute(
        f"""SELECT sum(row_count), sum(bad_rows), list(DISTINCT "BillingCurrency"),
                   string_agg(DISTINCT strftime(billing_period, '%Y-%m'), ','
                              ORDER BY strftime(billing_period, '%Y-%m'))
            FROM {STAGED} WHERE load_id = {load_id}"""
    ).fetchone()
    return load_summary(summary)


def insert_rollup(con: Any, where: str, layout: RollupLayout) -> None:
    """Roll up the line items matching `where`, numbering (dimensions, tags) tuples not seen."""
    discard_staged(con)
    con.execute(f"CREATE TEMP TABLE {STAGED} AS {rollup_select_sql(where, layout)}")
    _publish_staged(con)


def _publish_staged(con: Any) -> None:
    """Move the staged rollup rows into `cost_daily`, with their `dims_id`."""
    con.execute(
        f"""INSERT INTO {schema.DIMS} BY NAME
            SELECT (SELECT coalesce(max(dims_id), 0) FROM {schema.DIMS})
                   + row_number() OVER () AS dims_id, *
            FROM (SELECT DISTINCT {_DIMS_AND_TAGS} FROM {STAGED}
                  EXCEPT SELECT {_DIMS_AND_TAGS} FROM {schema.DIMS})"""
    )
    same_tuple = " AND ".join(
        f'n."{name}" IS NOT DISTINCT FROM d."{name}"' for name in (*schema.DIMENSIONS, "Tags")
    )
    # Rows of one group may come from several files of the load: they are summed here.
    con.execute(
        f"""INSERT INTO {schema.DAILY} BY NAME
            SELECT n.*, d.dims_id
            FROM (SELECT source, billing_period, usage_date, {_DIMS_AND_TAGS},
                         sum("BilledCost") AS "BilledCost",
                         sum("EffectiveCost") AS "EffectiveCost",
                         max(last_end) AS last_end, sum(row_count) AS row_count
                  FROM {STAGED} GROUP BY ALL) AS n
            JOIN {schema.DIMS} AS d ON {same_tuple}"""
    )
    discard_staged(con)


def replace_restated(
    con: Any, first_load_id: int, layout: RollupLayout, *, staged: bool = False
) -> list[tuple[str, date]]:
    """Drop the billing periods (source, UTC month) the new load (load ids >= `first_load_id`)
    restates, then roll the load up.

    `staged`: every file of the load went through `stage_load` already. Returns the
    (source, period) pairs replaced. Call inside the load's transaction.
    """
    if not staged:
        discard_staged(con)
        where = f"load_id >= {first_load_id}"
        con.execute(f"CREATE TEMP TABLE {STAGED} AS {rollup_select_sql(where, layout)}")
    # The staged rollup is small and names every (source, period) of the load: no rescan.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE restated AS "
        f"SELECT DISTINCT source, billing_period AS period FROM {STAGED}"
    )
    restated = con.execute("SELECT source, period FROM restated ORDER BY ALL").fetchall()
    con.execute(
        f"""DELETE FROM {schema.LINE_ITEMS} AS f USING restated AS r
            WHERE f.load_id < {first_load_id} AND f.source = r.source
              AND f.billing_period = r.period"""
    )
    con.execute(
        f"""DELETE FROM {schema.DAILY} AS d USING restated AS r
            WHERE d.source = r.source AND d.billing_period = r.period"""
    )
    _publish_staged(con)
    con.execute("DROP TABLE restated")
    return [(str(source), period) for source, period in restated]


def replace_utc_days(
    con: Any, source: str, days: Sequence[date], first_load_id: int, layout: RollupLayout
) -> None:
    """Make the UTC `days` of `source` hold only the rows of loads >= `first_load_id` (API
    connectors restate single UTC days), and re-roll every local day those rows touch.

    A local day can hold parts of two UTC days, so the rollup of a touched local day is rebuilt
    from all its line items, restated or not. Call inside the load's transaction.
    """
    local_day = local_date_sql('"ChargePeriodStart"', layout.timezone)
    in_days = 'source = ? AND CAST("ChargePeriodStart" AS DATE) IN (SELECT unnest(?::DATE[]))'
    # Old rows (about to go) and new rows alike: both change their local day's totals.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched_days AS "
        f"SELECT DISTINCT {local_day} AS usage_date FROM {schema.LINE_ITEMS} WHERE {in_days}",
        [source, list(days)],
    )
    con.execute(
        f"DELETE FROM {schema.LINE_ITEMS} WHERE load_id < {first_load_id} AND {in_days}",
        [source, list(days)],
    )
    con.execute(
        f"DELETE FROM {schema.DAILY} WHERE source = ? "
        "AND usage_date IN (SELECT usage_date FROM touched_days)",
        [source],
    )
    insert_rollup(
        con,
        f"source = {_sql_string(source)} AND {local_day} IN (SELECT usage_date FROM touched_days)",
        layout,
    )
    con.execute("DROP TABLE touched_days")


def rebuild_rollup(con: Any, layout: RollupLayout) -> None:
    con.execute(f"DELETE FROM {schema.DAILY}")
    con.execute(f"DELETE FROM {schema.DIMS}")
    insert_rollup(con, "true", layout)
