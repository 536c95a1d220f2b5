"""Cost ingest throughput: our FOCUS ingest (validation, restatement, rollup) against DuckDB's
own typed read_csv / read_parquet into a table of the same schema, in the same run.

Each load runs in a fresh subprocess so its peak RSS (ru_maxrss) is its own.

    .venv/bin/python benchmarks/ingest.py                  # 1M rows
    .venv/bin/python benchmarks/ingest.py --rows 10000000  # the 10M run (about 2 GB of CSV)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit

FOCUS_TYPES = {
    "ChargePeriodStart": "TIMESTAMPTZ",
    "ChargePeriodEnd": "TIMESTAMPTZ",
    "BilledCost": "DECIMAL(38,12)",
    "EffectiveCost": "DECIMAL(38,12)",
}
COLUMNS = [
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ChargeCategory",
    "Tags",
]

# Realistic cardinalities: 300 services, 3,000 sub accounts under 60 billing accounts,
# 20 regions, three providers, tag sets from 40 teams x 3 envs x 200 apps, one resource per
# 720 hourly rows (1M rows: ~1,400 resources; 10M: ~14,000).
GENERATE_SQL = """
WITH line AS (
  -- Hourly line items: each resource bills every hour of the 30-day month, as real exports do.
  SELECT i % 720 AS hour, i // 720 AS r, i FROM range(ROWS) t(i)
)
SELECT
  strftime(TIMESTAMP '2026-05-01' + to_hours(CAST(hour AS INTEGER)), '%Y-%m-%dT%H:%M:%SZ')
    AS ChargePeriodStart,
  strftime(TIMESTAMP '2026-05-01' + to_hours(CAST(hour AS INTEGER) + 1), '%Y-%m-%dT%H:%M:%SZ')
    AS ChargePeriodEnd,
  -- Exact 4-place amounts: a DECIMAL / INTEGER is a DOUBLE in DuckDB, whose text
  -- (22.069200000000002) has more places than the store keeps, which ingest refuses.
  CAST((hash(i) % 2000000) / 10000 - 20 AS DECIMAL(38,4)) AS BilledCost,
  CAST((hash(i) % 1800000) / 10000 - 20 AS DECIMAL(38,4)) AS EffectiveCost,
  CASE WHEN hash(r * 3) % 10 = 0 THEN 'EUR' ELSE 'USD' END AS BillingCurrency,
  ['AWS', 'Microsoft', 'Google Cloud'][1 + CAST(hash(r * 5) % 3 AS INTEGER)] AS ProviderName,
  'acct-' || hash(r * 7) % 60 AS BillingAccountId,
  'sub-' || hash(r * 11) % 3000 AS SubAccountId,
  'service-' || hash(r * 13) % 300 AS ServiceName,
  ['Compute', 'Storage', 'Databases', 'Networking'][1 + CAST(hash(r * 17) % 4 AS INTEGER)]
    AS ServiceCategory,
  'region-' || hash(r * 19) % 20 AS RegionId,
  CASE WHEN hash(i * 23) % 50 = 0 THEN 'Credit' ELSE 'Usage' END AS ChargeCategory,
  '{"team": "team-' || hash(r * 29) % 40 || '", "env": "'
    || ['prod', 'dev', 'staging'][1 + CAST(hash(r * 31) % 3 AS INTEGER)]
    || '", "app": "app-' || hash(r * 37) % 200 || '"}' AS Tags
FROM line
"""


def generate(folder: Path, rows: int) -> dict[str, Path]:
    import duckdb

    con = duckdb.connect()
    query = GENERATE_SQL.replace("ROWS", str(rows))
    paths = {"csv": folder / "focus.csv", "parquet": folder / "focus.parquet"}
    con.execute(f"COPY ({query}) TO '{paths['csv']}' (FORMAT csv, HEADER)")
    con.execute(f"COPY ({query}) TO '{paths['parquet']}' (FORMAT parquet)")
    return paths


def raw_load(path: Path, db: Path) -> int:
    """DuckDB alone: typed read into a table of the same 13 columns."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE focus (ChargePeriodStart TIMESTAMP, ChargePeriodEnd TIMESTAMP, "
        "BilledCost DECIMAL(38,12), EffectiveCost DECIMAL(38,12), "
        + ", ".join(f"{c} VARCHAR" for c in COLUMNS[4:])
        + ")"
    )
    if path.suffix == ".parquet":
        source = f"read_parquet('{path}')"
    else:
        types = ", ".join(f"'{k}': '{v}'" for k, v in FOCUS_TYPES.items())
        source = f"read_csv('{path}', header=true, types={{{types}}})"
    con.execute(f"INSERT INTO focus SELECT {', '.join(COLUMNS)} FROM {source}")
    row = con.execute("SELECT count(*) FROM focus").fetchone()
    return int(row[0]) if row else 0


def our_load(path: Path, db: Path) -> int:
    from finance_pack.costs.ingest import FileKind, ingest_files
    from finance_pack.costs.store import CostStore

    store = CostStore.open(f"duckdb:///{db}")
    report = ingest_files(store, [str(path)], FileKind.FOCUS, source="bench")
    return report.rows


def time_budget_queries(db: Path) -> float:
    """Seconds for `spend_series_many` over 50 budget scopes (the Budgeteer's weekly read)."""
    from datetime import UTC, datetime

    from finance_pack.costs.queries import CostQueries
    from finance_pack.costs.store import CostStore
    from finance_pack.domain.budgets import Scope

    scopes = {
        f"budget-{n}": Scope(
            services=frozenset({f"service-{n}", f"service-{n + 50}"}) if n % 2 else frozenset(),
            accounts=frozenset({f"acct-{n % 60}"}) if n % 3 == 0 else frozenset(),
            tags={"team": frozenset({f"team-{n % 40}"})} if n % 5 == 0 else {},
        )
        for n in range(50)
    }
    queries = CostQueries(CostStore.open(f"duckdb:///{db}").backend)
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    began = time.perf_counter()
    queries.spend_series_many(scopes, start, end, currency="USD")
    return time.perf_counter() - began


def worker(mode: str, path: Path, db: Path) -> None:
    import duckdb  # (imports are not load time, for either side)

    # The first query with parameters imports pandas and numpy lazily (~0.4 s): import time too.
    duckdb.connect().execute("SELECT ?", [1])
    if mode == "ours":
        import finance_pack.costs.ingest  # noqa: F401
    started = time.perf_counter()
    rows = (raw_load if mode == "raw" else our_load)(path, db)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    query = time_budget_queries(db) if mode == "ours" else 0.0
    print(
        json.dumps(
            {"rows": rows, "seconds": seconds, "peak_mib": peak_kib / 1024, "query_seconds": query}
        )
    )


def run_worker(mode: str, path: Path, db: Path) -> dict[str, float]:
    db.unlink(missing_ok=True)
    output = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--file", str(path), "--db", str(db)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--dir", default=None, help="Work directory (default: a temp dir)")
    parser.add_argument("--worker", choices=["raw", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, Path(args.file), Path(args.db))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        paths = generate(folder, args.rows)
        rows = []
        for fmt, path in paths.items():
            raw = run_worker("raw", path, folder / "raw.duckdb")
            ours = run_worker("ours", path, folder / "ours.duckdb")
            rows.append(
                {
                    "format": fmt,
                    "rows": int(ours["rows"]),
                    "file_mib": round(path.stat().st_size / 2**20, 1),
                    "raw_rows_per_s": round(raw["rows"] / raw["seconds"]),
                    "ours_rows_per_s": round(ours["rows"] / ours["seconds"]),
                    "ratio_ours_to_raw": round(ours["seconds"] / raw["seconds"], 2),
                    "raw_peak_mib": round(raw["peak_mib"]),
                    "ours_peak_mib": round(ours["peak_mib"]),
                    "spend_series_many_50_s": round(ours["query_seconds"], 3),
                }
            )
    emit(f"FOCUS ingest, {args.rows:,} rows", rows, args.json_path)


if __name__ == "__main__":
    main()
