"""Spend per series and interval from a FOCUS or CUR file, for the Cost Watcher.

The same readers and projections as `brctl finance ingest` (so a file means the same thing
to both), summed per (provider, account, service, region, currency, charge period) in an
in-memory DuckDB: the watcher never touches the cost store's database or its lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from finance_pack.costs.cur import cur_projection_sql, cur_typed_columns, require_cur_columns
from finance_pack.costs.readers import (
    focus_projection_sql,
    focus_typed_columns,
    inspect_file,
    legacy_cur_layout,
    require_columns,
    scan_sql,
)
from finance_pack.domain.costs import REQUIRED_FOCUS_COLUMNS
from finance_pack.errors import ValidationError


@dataclass(frozen=True, slots=True)
class FileSpend:
    dimensions: tuple[tuple[str, str], ...]
    start: datetime
    end: datetime
    cost: Decimal
    currency: str


def _projection(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    file = inspect_file(con, path)
    if "ChargePeriodStart" in file.columns:
        require_columns(file, REQUIRED_FOCUS_COLUMNS)
        select = focus_projection_sql(file)
        return f"SELECT {select} FROM {scan_sql(file, focus_typed_columns(file), 'rejects')}"
    if legacy_cur_layout(file) or "line_item_unblended_cost" in file.columns:
        require_cur_columns(file)
        select = cur_projection_sql(file)
        return f"SELECT {select} FROM {scan_sql(file, cur_typed_columns(file), 'rejects')}"
    raise ValidationError("neither a FOCUS nor a CUR file", location=str(path))


def file_spend(path: Path, metric: str = "BilledCost") -> Iterator[FileSpend]:
    """Summed spend per series and charge period, oldest first."""
    if metric not in ("BilledCost", "EffectiveCost"):
        raise ValueError(f"unknown cost metric {metric!r}")
    con = duckdb.connect()
    try:
        query = f"""
            SELECT ProviderName, BillingAccountId, ServiceName, RegionId, BillingCurrency,
                   ChargePeriodStart, ChargePeriodEnd, sum({metric})::VARCHAR
            FROM ({_projection(con, path)})
            GROUP BY ALL ORDER BY ChargePeriodStart
        """
        for provider, account, service, region, currency, start, end, cost in con.execute(
            query
        ).fetchall():
            pairs = {"provider": provider, "account": account, "service": service}
            if region:
                pairs["region"] = region
            dims = tuple(sorted((k, str(v)) for k, v in pairs.items() if v))
            yield FileSpend(dims, _utc(start), _utc(end), Decimal(cost), str(currency))
    except duckdb.Error as exc:
        raise ValidationError(f"cannot read the file: {exc}", location=str(path)) from exc
    finally:
        con.close()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
