"""The cost queries, run on DuckDB and on Spark local mode against the same data, compared with
exact Python sums."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cost_files import MAY, Row, generate_rows, write_focus_csv

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.schema import ALL_TABLES
from finance_pack.costs.store import CostStore
from finance_pack.domain.budgets import Scope
from finance_pack.domain.money import CurrencyMismatchError

# Tag values with regular-expression metacharacters, a quote and non-ASCII letters: scopes
# listing several values match them as literals.
ODD_APPS = ["a.b (x)", "axb (x)", 'q"uote', "ünï+[1]"]
ROWS = generate_rows(11, 400, MAY) + [
    Row(MAY + timedelta(days=d, hours=3), Decimal(f"{d + 1}.25"), Decimal(1), tags={"app": app})
    for d, app in enumerate(ODD_APPS)
]
JUNE = MAY.replace(month=6)


@pytest.fixture(scope="module")
def duckdb_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CostStore]:
    folder = tmp_path_factory.mktemp("queries")
    store = CostStore.open(f"duckdb:///{folder / 'costs.duckdb'}")
    ingest_files(store, [str(write_focus_csv(folder / "may.csv", ROWS))], FileKind.FOCUS)
    yield store
    store.close()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def queries(request: pytest.FixtureRequest, duckdb_store: CostStore) -> CostQueries:
    if request.param == "duckdb":
        return CostQueries(duckdb_store.backend)
    spark = request.getfixturevalue("spark_backend")
    for name in ALL_TABLES:
        # Straight from Arrow: going through pandas would turn null strings into "NaN".
        frame = spark._session.createDataFrame(duckdb_store.table(name).to_pyarrow())
        frame.write.mode("overwrite").saveAsTable(name)
    return CostQueries(spark)


def expected(rows: list[Row], scope_filter: Any, currency: str = "USD") -> dict[datetime, Decimal]:
    sums: dict[datetime, Decimal] = {}
    for row in rows:
        if row.currency == currency and scope_filter(row):
            day = row.start.replace(hour=0)
            sums[day] = sums.get(day, Decimal(0)) + row.billed
    return sums


def nonzero(series_points: Any) -> dict[datetime, Decimal]:
    return {p.start: p.amount for p in series_points if p.amount != 0}


SCOPES: dict[str, tuple[Scope, Any]] = {
    "all-usd": (Scope(providers=frozenset({"AWS", "Google Cloud"})), lambda r: True),
    "ec2": (Scope(services=frozenset({"AmazonEC2"})), lambda r: r.service == "AmazonEC2"),
    "linked": (
        Scope(accounts=frozenset({"200000000002"}), providers=frozenset({"AWS"})),
        lambda r: r.provider == "AWS" and "200000000002" in (r.account, r.sub_account),
    ),
    "team-data-prod": (
        Scope(tags={"team": frozenset({"data"}), "env": frozenset({"prod"})}),
        lambda r: r.tags.get("team") == "data" and r.tags.get("env") == "prod",
    ),
    "two-teams": (
        Scope(tags={"team": frozenset({"data", "web"})}),
        lambda r: r.tags.get("team") in ("data", "web"),
    ),
    "odd-apps": (
        Scope(tags={"app": frozenset({"a.b (x)", 'q"uote', "ünï+[1]"})}),
        lambda r: r.tags.get("app") in ("a.b (x)", 'q"uote', "ünï+[1]"),
    ),
    "one-odd-app": (
        Scope(tags={"app": frozenset({"ünï+[1]"})}),
        lambda r: r.tags.get("app") == "ünï+[1]",
    ),
    "region": (
        Scope(regions=frozenset({"eu-west-1"}), services=frozenset({"AmazonS3", "AmazonRDS"})),
        lambda r: r.region == "eu-west-1" and r.service in ("AmazonS3", "AmazonRDS"),
    ),
}


def test_spend_series_matches_python_sums_for_each_scope(queries: CostQueries) -> None:
    for name, (scope, keep) in SCOPES.items():
        series = queries.spend_series(scope, MAY, JUNE, currency="USD")
        assert nonzero(series.points) == expected(ROWS, keep), name
        assert series.currency == "USD"


def test_spend_series_many_answers_every_scope_in_one_batch(queries: CostQueries) -> None:
    batch = queries.spend_series_many({n: s for n, (s, _) in SCOPES.items()}, MAY, JUNE, "USD")
    for name, (_, keep) in SCOPES.items():
        assert nonzero(batch[name].points) == expected(ROWS, keep), name


def test_effective_cost_metric_sums_effective_cost(queries: CostQueries) -> None:
    series = queries.spend_series(Scope(), MAY, JUNE, currency="EUR", metric="EffectiveCost")
    total = sum((r.effective for r in ROWS if r.currency == "EUR"), Decimal(0))
    assert sum((p.amount for p in series.points), Decimal(0)) == total


def test_as_of_is_the_end_of_the_last_hour_of_data(queries: CostQueries) -> None:
    latest = max(r.end for r in ROWS if r.provider == "AWS")
    series = queries.spend_series(Scope(providers=frozenset({"AWS"})), MAY, JUNE, "USD")
    assert series.as_of == latest
    assert series.points[-1].start == latest.replace(hour=0)
    assert series.points[-1].hours == latest.hour or series.points[-1].hours == 24


def test_mixed_currencies_without_a_currency_are_refused(queries: CostQueries) -> None:
    with pytest.raises(CurrencyMismatchError):
        queries.spend_series(Scope(), MAY, JUNE)


# Services are reported under their FOCUS name, whichever spelling the rows used.
FOCUS_NAME = {
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonS3": "Amazon Simple Storage Service",
    "AmazonRDS": "Amazon Relational Database Service",
}


def test_spend_by_service_lists_biggest_first(queries: CostQueries) -> None:
    movers = queries.spend_by_dimension(Scope(providers=frozenset({"AWS"})), "service", MAY, JUNE)
    sums: dict[str, Decimal] = {}
    for row in ROWS:
        if row.provider == "AWS":
            name = FOCUS_NAME.get(row.service, row.service)
            sums[name] = sums.get(name, Decimal(0)) + row.billed
    assert [(m.key, m.amount.amount) for m in movers] == sorted(sums.items(), key=lambda kv: -kv[1])


def test_spend_by_account_uses_sub_account_then_billing_account(queries: CostQueries) -> None:
    movers = queries.spend_by_dimension(Scope(providers=frozenset({"AWS"})), "account", MAY, JUNE)
    sums: dict[str, Decimal] = {}
    for row in ROWS:
        if row.provider == "AWS":
            key = row.sub_account or row.account
            sums[key] = sums.get(key, Decimal(0)) + row.billed
    assert {m.key: m.amount.amount for m in movers} == sums


def test_window_bounds_are_half_open_days(queries: CostQueries) -> None:
    start, end = MAY + timedelta(days=3), MAY + timedelta(days=10)
    series = queries.spend_series(Scope(), start, end, currency="USD")
    assert {p.start for p in series.points} == {start + timedelta(days=d) for d in range(7)}
    keep = expected([r for r in ROWS if start <= r.start < end], lambda r: True)
    assert nonzero(series.points) == keep


def test_tag_keys_outside_the_rollup_fall_back_to_line_items(tmp_path: Path) -> None:
    store = CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}")
    ingest_files(store, [str(write_focus_csv(tmp_path / "m.csv", ROWS))], FileKind.FOCUS)
    store.set_rollup_tag_keys(["team"])
    queries = CostQueries(store.backend)
    for name, (scope, keep) in SCOPES.items():
        series = queries.spend_series(scope, MAY, JUNE, currency="USD")
        assert nonzero(series.points) == expected(ROWS, keep), name
    distinct_tags = store.duckdb.execute("SELECT DISTINCT Tags FROM cost_daily").fetchall()
    assert all('"env"' not in t[0] for t in distinct_tags)
    assert datetime.now(UTC) > MAY


def _scope_totals(store: CostStore) -> dict[str, Decimal]:
    batch = CostQueries(store.backend).spend_series_many(
        {n: s for n, (s, _) in SCOPES.items()}, MAY, JUNE + timedelta(days=30), "USD"
    )
    return {name: sum((p.amount for p in s.points), Decimal(0)) for name, s in batch.items()}


def _python_totals(rows: list[Row]) -> dict[str, Decimal]:
    return {
        name: sum(expected(rows, keep).values(), Decimal(0)) for name, (_, keep) in SCOPES.items()
    }


def test_scopes_stay_exact_across_loads_and_restatements(tmp_path: Path) -> None:
    store = CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}")
    june = [
        Row(
            r.start.replace(month=6),
            r.billed,
            r.effective,
            r.currency,
            r.provider,
            r.account,
            r.sub_account,
            r.service,
            "ap-south-1",
            tags={**r.tags, "env": "new"},
        )
        for r in ROWS[:150]
    ]
    for name, rows in (("may.csv", ROWS), ("june.csv", june), ("may.csv", ROWS[100:])):
        ingest_files(store, [str(write_focus_csv(tmp_path / name, rows))], FileKind.FOCUS)
    assert _scope_totals(store) == _python_totals(ROWS[100:] + june)


def test_a_store_from_before_dimension_ids_is_renumbered_on_open(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    store = CostStore.open(f"duckdb:///{path}")
    ingest_files(store, [str(write_focus_csv(tmp_path / "may.csv", ROWS))], FileKind.FOCUS)
    store.duckdb.execute("ALTER TABLE cost_daily DROP COLUMN dims_id")
    store.duckdb.execute("DELETE FROM cost_dims")
    store.close()
    reopened = CostStore.open(f"duckdb:///{path}")
    assert _scope_totals(reopened) == _python_totals(ROWS)
