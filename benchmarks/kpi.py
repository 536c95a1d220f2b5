"""KPIs for 50 budgets: our path (cost store rollup + pure domain, `reporting.kpi_reports`)
against one hand-written DuckDB query that scans the raw line items once and computes the same
50 MTD sums, in the same run; then the same KPIs on Spark local mode, compared to the cent.

    .venv/bin/python benchmarks/kpi.py                   # 1M rows, about a minute or two
    .venv/bin/python benchmarks/kpi.py --rows 10000000   # the issue's 10M run
    .venv/bin/python benchmarks/kpi.py --no-spark        # skip the Spark comparison

The rows are hourly line items per resource (most resources live days to weeks, some the whole
period), ~3,000 sub accounts under 40 billing accounts, each account using up to 30 of 60
services in a few of 20 regions, tags team/env/app/cost-center; all in USD, from 2026-02-01 to
2026-06-15 14:00 UTC (so June is the month of the newest data, half elapsed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, Scope, Threshold
from finance_pack.domain.fx import FxTable
from finance_pack.domain.kpis import KpiReport
from finance_pack.domain.money import Money
from finance_pack.services.reporting import ReportSettings, kpi_reports

DATA_START = "2026-02-01 00:00:00"
HOURS = (datetime(2026, 6, 15, 14, tzinfo=UTC) - datetime(2026, 2, 1, tzinfo=UTC)).days * 24 + 14
NOW = datetime(2026, 6, 16, tzinfo=UTC)
MONTH = BillingMonth(2026, 6)
CENT = Decimal("0.01")
TAG_KEYS = ("team", "env", "app", "cost-center")

# One row per resource and hour. 10 % of resources live the whole period, the rest 1-20 days.
GENERATE_SQL = f"""
WITH resource AS (
  SELECT r, life, CAST(sum(life) OVER (ORDER BY r) AS BIGINT) AS cumulative,
         hash(r * 5) % 3000 AS acct,
         CAST(CASE WHEN life = {HOURS} THEN 0 ELSE hash(r * 7) % ({HOURS} - life) END AS BIGINT)
           AS start_h
  FROM (
    SELECT r, CAST(CASE WHEN hash(r) % 10 = 0 THEN {HOURS} ELSE 24 + hash(r * 3) % 456 END
                   AS BIGINT) AS life
    FROM range(ROWS // 24 + 1) t(r)
  )
),
line AS (
  SELECT r, acct, unnest(range(start_h, start_h + least(life, ROWS - (cumulative - life)))) AS h
  FROM resource WHERE cumulative - life < ROWS
),
priced AS (
  SELECT *, TIMESTAMPTZ '{DATA_START}+00' + to_hours(CAST(h AS BIGINT)) AS start_at,
         (CAST(hash(r * 11) % 400000 + 500 AS DECIMAL(38,12)) / 1000000
           + CAST(hash(r * 1000003 + h) % 10000 AS DECIMAL(38,12)) / 100000000)
         * CASE WHEN hash(r * 13) % 3 = 0 THEN 1 ELSE 1.5 END AS rate,
         hash(r * 17 + h) % 100 = 0 AS credit
  FROM line
)
SELECT
  start_at AS ChargePeriodStart,
  start_at + INTERVAL 1 HOUR AS ChargePeriodEnd,
  CAST(CASE WHEN credit THEN -rate / 2
            WHEN dayofweek(start_at) IN (0, 6) THEN rate * 0.6 ELSE rate END
       AS DECIMAL(38,12)) AS BilledCost,
  CAST(CASE WHEN credit THEN -rate / 2 ELSE rate * 0.9 END AS DECIMAL(38,12)) AS EffectiveCost,
  'USD' AS BillingCurrency,
  CASE WHEN acct % 5 = 0 THEN 'Microsoft' ELSE 'AWS' END AS ProviderName,
  'ba-' || acct % 40 AS BillingAccountId,
  'acct-' || acct AS SubAccountId,
  'service-' || (acct * 7 + hash(r * 19) % 30) % 60 AS ServiceName,
  ['Compute', 'Storage', 'Databases', 'Networking'][1 + CAST(hash(r * 23) % 4 AS INTEGER)]
    AS ServiceCategory,
  'region-' || (acct + hash(r * 29) % 4) % 20 AS RegionId,
  CASE WHEN credit THEN 'Credit' ELSE 'Usage' END AS ChargeCategory,
  CAST(json_object('team', 'team-' || acct % 40,
                   'env', ['prod', 'staging', 'dev'][1 + CAST(hash(r * 31) % 3 AS INTEGER)],
                   'app', 'app-' || hash(r * 37) % 300,
                   'cost-center', 'cc-' || acct % 25) AS VARCHAR) AS Tags
FROM priced
"""


def generate(folder: Path, rows: int) -> Path:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = folder / "focus.parquet"
    con.execute(f"COPY ({GENERATE_SQL.replace('ROWS', str(rows))}) TO '{path}' (FORMAT parquet)")
    return path


def _set(prefix: str, numbers: Sequence[int]) -> frozenset[str]:
    return frozenset(f"{prefix}{n}" for n in numbers)


def budget_scopes() -> list[Scope]:
    """50 overlapping scopes over every dimension budgets filter on."""
    scopes = [Scope(services=_set("service-", [n, n + 7, n + 23][: 1 + n % 3])) for n in range(10)]
    scopes += [Scope(accounts=_set("acct-", range(n, 3000, 97 + n))) for n in range(6)]
    scopes += [Scope(accounts=_set("ba-", [n, n + 20])) for n in range(4)]
    scopes += [
        Scope(regions=_set("region-", [n, n + 10]), providers=frozenset({"AWS"})) for n in range(5)
    ]
    scopes += [Scope(tags={"team": _set("team-", [n, n + 13])}) for n in range(6)]
    scopes += [Scope(tags={"env": frozenset({env})}) for env in ("prod", "staging", "dev")]
    scopes += [Scope(tags={"app": _set("app-", range(n, 300, 11))}) for n in range(3)]
    scopes += [
        Scope(tags={"team": _set("team-", [n]), "env": frozenset({"prod"})}) for n in range(4)
    ]
    scopes += [Scope(tags={"cost-center": _set("cc-", [n, n + 5])}) for n in range(3)]
    scopes += [
        Scope(
            services=_set("service-", range(n, 60, 4)),
            regions=_set("region-", range(n, 20, 2)),
            tags={"env": frozenset({"prod", "staging"})},
        )
        for n in range(4)
    ]
    scopes += [Scope(), Scope(providers=frozenset({"Microsoft"}))]
    return scopes


def budgets() -> list[Budget]:
    thresholds = (Threshold(Decimal(80)), Threshold.parse("100:forecast"))
    return [
        Budget(f"budget-{n:02d}", Money(Decimal(1000 * (n + 1)), "USD"), scope, thresholds)
        for n, scope in enumerate(budget_scopes())
    ]


def _in(column: str, values: frozenset[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in sorted(values))})"


def scope_sql(scope: Scope) -> str:
    """The scope written by hand over the raw columns (tags parsed from the JSON text)."""
    parts = ["true"]
    if scope.providers:
        parts.append(_in("ProviderName", scope.providers))
    if scope.accounts:
        parts.append(
            f"({_in('BillingAccountId', scope.accounts)} OR {_in('SubAccountId', scope.accounts)})"
        )
    if scope.services:
        parts.append(_in("ServiceName", scope.services))
    if scope.regions:
        parts.append(_in("RegionId", scope.regions))
    for key, values in scope.tags.items():
        parts.append(_in(f"tag[{TAG_KEYS.index(key) + 1}]", values))
    return " AND ".join(parts)


def single_scan(con: Any, scopes: Sequence[Scope]) -> tuple[float, list[Decimal]]:
    """One pass over the raw line items of the month: 50 conditional sums."""
    sums = ", ".join(
        f"coalesce(sum(CASE WHEN {scope_sql(s)} THEN BilledCost END), 0)" for s in scopes
    )
    paths = ", ".join(repr("$." + key) for key in TAG_KEYS)
    sql = f"""SELECT {sums} FROM (
        SELECT *, json_extract_string(Tags, [{paths}]) AS tag FROM cost_line_items
        WHERE ChargePeriodStart >= TIMESTAMP '{MONTH.start:%Y-%m-%d %H:%M:%S}'
          AND ChargePeriodStart < TIMESTAMP '{MONTH.end:%Y-%m-%d %H:%M:%S}')"""
    began = time.perf_counter()
    row = con.execute(sql).fetchone()
    return time.perf_counter() - began, [Decimal(v) for v in row]


def time_kpis(
    queries: CostQueries, forecaster: str, repeats: int
) -> tuple[list[float], list[KpiReport]]:
    settings = ReportSettings(
        timezone="UTC",
        metric="BilledCost",
        forecaster=forecaster,
        fx_rates=FxTable(),
        currency="USD",
    )
    times, reports = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        results = kpi_reports(queries, budgets(), settings, now=NOW, month=None)
        times.append(time.perf_counter() - began)
        reports = [r for r in results if isinstance(r, KpiReport)]
        if len(reports) != len(results):
            raise SystemExit(f"some budgets could not be computed: {results}")
    return times, reports


def mismatches(ours: Sequence[Decimal], theirs: Sequence[Decimal]) -> int:
    return sum(a.quantize(CENT) != b.quantize(CENT) for a, b in zip(ours, theirs, strict=True))


def spark_reports(store: CostStore, forecaster: str) -> tuple[float, float, list[KpiReport]]:
    """Copy the rollup to Spark local mode, then run the same `kpi_reports` there."""
    import ibis
    from pyspark.sql import SparkSession

    from finance_pack.costs.schema import ALL_TABLES, LINE_ITEMS

    with tempfile.TemporaryDirectory() as warehouse:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("finance-pack-kpi-bench")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", str(Path(warehouse) / "warehouse"))
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        try:
            backend = ibis.pyspark.connect(session)
            began = time.perf_counter()
            for name in ALL_TABLES:
                # The line items stay on DuckDB (only the rollup serves these scopes).
                table = store.table(name)
                data = (table.limit(0) if name == LINE_ITEMS else table).to_pyarrow()
                session.createDataFrame(data).write.mode("overwrite").saveAsTable(name)
            copy_seconds = time.perf_counter() - began
            times, reports = time_kpis(CostQueries(backend), forecaster, 1)
            return copy_seconds, times[0], reports
        finally:
            session.stop()


def run(rows: int, work: Path, spark: bool, repeats: int) -> list[dict[str, object]]:
    began = time.perf_counter()
    path = generate(work, rows)
    generated = time.perf_counter() - began
    store = CostStore.open(f"duckdb:///{work / 'costs.duckdb'}")
    report = ingest_files(store, [str(path)], FileKind.FOCUS, source="bench")
    rollup_rows = store.duckdb.execute("SELECT count(*) FROM cost_daily").fetchone()[0]
    queries = CostQueries(store.backend)
    scans = [single_scan(store.duckdb, budget_scopes()) for _ in range(3)]
    scan = statistics.median(seconds for seconds, _ in scans)
    scan_sums = scans[0][1]
    common = {
        "rows": report.rows,
        "rollup_rows": rollup_rows,
        "generate_s": round(generated, 2),
        "ingest_s": round(report.seconds, 2),
        "single_scan_s": round(scan, 3),
    }
    figures: list[dict[str, object]] = []
    for forecaster in ("linear", "seasonal"):
        times, reports = time_kpis(queries, forecaster, repeats)
        ours = [r.mtd_spend for r in reports]
        row: dict[str, object] = {
            **common,
            "forecaster": forecaster,
            "budgets": len(reports),
            "kpis_first_s": round(times[0], 3),
            "kpis_median_s": round(statistics.median(times), 3),
            "ratio_to_scan": round(statistics.median(times) / scan, 3),
            "mtd_cent_mismatches": mismatches(ours, scan_sums),
            "mtd_exact_equal": ours == scan_sums,
        }
        if spark:
            row.update(_spark_figures(store, forecaster, reports))
        figures.append(row)
    store.close()
    return figures


def _spark_figures(
    store: CostStore, forecaster: str, duck_reports: Sequence[KpiReport]
) -> dict[str, object]:
    copy_s, kpi_s, spark = spark_reports(store, forecaster)
    return {
        "spark_copy_s": round(copy_s, 2),
        "spark_kpis_s": round(kpi_s, 2),
        "spark_mtd_cent_mismatches": mismatches(
            [r.mtd_spend for r in spark], [r.mtd_spend for r in duck_reports]
        ),
        "spark_reports_identical": [r.to_json_dict() for r in spark]
        == [r.to_json_dict() for r in duck_reports],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--dir", default=None, help="work directory (default: a temp dir)")
    parser.add_argument("--repeats", type=int, default=5, help="KPI timings per forecaster")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        figures = run(args.rows, Path(tmp), not args.no_spark, args.repeats)
    load = os.getloadavg()[0]
    for row in figures:
        row["load_avg_1m"] = round(load, 2)
    emit(f"KPIs for 50 budgets, {args.rows:,} cost rows", figures, args.json_path)


if __name__ == "__main__":
    main()
