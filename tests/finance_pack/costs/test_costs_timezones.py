"""The daily rollup in the billing time zone: hourly rows across the October/November boundary
(and the New York daylight saving change on 1 November 2026), KPIs compared with exact Python
sums over the rows whose charge period starts in [local month start, as_of)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cost_files import Row, write_focus_csv

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.records import replace_days
from finance_pack.costs.schema import ALL_TABLES
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth, local_midnight_utc
from finance_pack.domain.budgets import Budget, Scope
from finance_pack.domain.costs import CostRecord
from finance_pack.domain.money import Money
from finance_pack.errors import UsageError
from finance_pack.services.reporting import ReportSettings, kpi_reports

NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
FIRST_HOUR = datetime(2026, 10, 25, tzinfo=UTC)
HOURS = 24 * 11 + 7  # up to 5 November 06:00 UTC
ROWS = [
    Row(
        FIRST_HOUR + timedelta(hours=h),
        # Every hour a different amount: a boundary off by an hour changes the sum.
        Decimal(f"{h % 89 + 1}.{h % 97:02d}"),
        Decimal(1),
        service="AmazonEC2" if h % 3 else "AmazonS3",
        tags={"team": "data" if h % 2 else "web", "Name": f"i-{h % 5}"},
    )
    for h in range(HOURS)
]
AS_OF = ROWS[-1].end
NOW = datetime(2026, 11, 6, tzinfo=UTC)
EVERYTHING = Budget("all", Money.of("100000", "USD"))
S3_WEB = Budget(
    "s3-web",
    Money.of("100000", "USD"),
    Scope(services=frozenset({"AmazonS3"}), tags={"team": frozenset({"web"})}),
)


# Every row, but through a tag filter: on the line-item fallback it covers every hour.
BOTH_TEAMS = Budget(
    "both-teams", Money.of("100000", "USD"), Scope(tags={"team": frozenset({"data", "web"})})
)
BUDGETS = (EVERYTHING, S3_WEB, BOTH_TEAMS)


def _in_scope(budget: Budget, row: Row) -> bool:
    scope = budget.scope
    return (not scope.services or row.service in scope.services) and all(
        row.tags.get(key) in values for key, values in scope.tags.items()
    )


def python_mtd(budget: Budget, month: BillingMonth, rows: list[Row] = ROWS) -> Decimal:
    end = min(month.end, AS_OF)
    return sum(
        (r.billed for r in rows if _in_scope(budget, r) and month.start <= r.start < end),
        Decimal(0),
    )


def python_daily(zone: str) -> dict[datetime, Decimal]:
    """Per local day (keyed by its local midnight as a UTC instant): the exact sum."""
    month = BillingMonth(2026, 11, zone)
    sums: dict[datetime, Decimal] = {}
    for row in ROWS:
        midnight = local_midnight_utc(row.start.astimezone(month.zone).date(), month.zone)
        sums[midnight] = sums.get(midnight, Decimal(0)) + row.billed
    return sums


def mtd_by_budget(queries: CostQueries, zone: str, month: BillingMonth) -> dict[str, Decimal]:
    settings = ReportSettings(timezone=zone, metric="BilledCost", forecaster="linear", fx_rates={})
    reports = kpi_reports(queries, BUDGETS, settings, now=NOW, month=month)
    return {report.budget: report.mtd_spend for report in reports}


def expected_mtd(zone: str, month: BillingMonth) -> dict[str, Decimal]:
    return {b.name: python_mtd(b, month) for b in BUDGETS}


def copy_to_spark(spark: Any, store: CostStore) -> CostQueries:
    for name in ALL_TABLES:
        # Straight from Arrow: going through pandas would turn null strings into "NaN".
        frame = spark._session.createDataFrame(store.table(name).to_pyarrow())
        frame.write.mode("overwrite").saveAsTable(name)
    return CostQueries(spark)


@pytest.fixture(scope="module")
def hourly_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_focus_csv(tmp_path_factory.mktemp("hourly") / "hourly.csv", ROWS)


@pytest.fixture(
    scope="module",
    params=[
        (NEW_YORK, "duckdb"),
        (KOLKATA, "duckdb"),
        pytest.param((NEW_YORK, "spark"), marks=pytest.mark.spark),
        pytest.param((KOLKATA, "spark"), marks=pytest.mark.spark),
    ],
    ids=lambda p: "-".join(p),
)
def zoned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, hourly_csv: Path
) -> Iterator[tuple[str, CostQueries]]:
    """A store opened in the zone before ingest (the rollup is cut at ingest), then read on
    DuckDB or on Spark local mode."""
    zone, backend = request.param
    folder = tmp_path_factory.mktemp("zoned")
    store = CostStore.open(f"duckdb:///{folder / 'costs.duckdb'}", timezone=zone)
    ingest_files(store, [str(hourly_csv)], FileKind.FOCUS)
    if backend == "duckdb":
        yield zone, CostQueries(store.backend)
    else:
        yield zone, copy_to_spark(request.getfixturevalue("spark_backend"), store)
    store.close()


def test_mtd_at_the_month_boundary_is_the_exact_sum_from_local_month_start(
    zoned: tuple[str, CostQueries],
) -> None:
    zone, queries = zoned
    november = BillingMonth(2026, 11, zone)
    assert mtd_by_budget(queries, zone, november) == expected_mtd(zone, november)


def test_a_complete_month_sums_exactly_between_local_midnights(
    zoned: tuple[str, CostQueries],
) -> None:
    zone, queries = zoned
    october = BillingMonth(2026, 10, zone)
    assert mtd_by_budget(queries, zone, october) == expected_mtd(zone, october)


def test_daily_points_start_at_local_midnight_and_last_the_local_day(
    zoned: tuple[str, CostQueries],
) -> None:
    zone, queries = zoned
    series = queries.spend_series(Scope(), FIRST_HOUR, NOW, currency="USD")
    assert {p.start: p.amount for p in series.points} == python_daily(zone)
    assert series.as_of == AS_OF
    local = BillingMonth(2026, 11, zone).zone
    hours = {p.start.astimezone(local).date(): p.hours for p in series.points}
    # 1 November in New York has 25 hours (clocks go back at 02:00 EDT).
    assert hours[date(2026, 11, 1)] == (25 if zone == NEW_YORK else 24)
    assert queries.data_start() == series.points[0].start


def test_spend_by_service_uses_local_day_bounds(zoned: tuple[str, CostQueries]) -> None:
    zone, queries = zoned
    november = BillingMonth(2026, 11, zone)
    movers = queries.spend_by_dimension(Scope(), "service", november.start, november.end)
    sums: dict[str, Decimal] = {}
    for row in ROWS:
        if row.start >= november.start:
            sums[row.service] = sums.get(row.service, Decimal(0)) + row.billed
    assert {m.key: m.amount.amount for m in movers} == sums


def test_line_item_fallback_matches_rows_to_local_days_on_every_backend(
    zoned: tuple[str, CostQueries],
) -> None:
    zone, queries = zoned
    fallback = CostQueries(queries.backend)
    fallback.rollup_tag_keys = ("Name",)  # as if the rollup had dropped `team`
    november = BillingMonth(2026, 11, zone)
    assert mtd_by_budget(fallback, zone, november) == expected_mtd(zone, november)


def test_opening_in_another_time_zone_rebuilds_the_rollup(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'costs.duckdb'}"
    store = CostStore.open(url)
    ingest_files(store, [str(write_focus_csv(tmp_path / "h.csv", ROWS))], FileKind.FOCUS)
    store.close()
    for zone in (NEW_YORK, KOLKATA, "UTC"):
        reopened = CostStore.open(url, timezone=zone)
        assert reopened.rollup_layout().timezone == zone
        november = BillingMonth(2026, 11, zone)
        assert mtd_by_budget(CostQueries(reopened.backend), zone, november) == expected_mtd(
            zone, november
        )
        reopened.close()


def test_a_utc_store_differs_from_new_york_at_the_boundary(tmp_path: Path) -> None:
    """The figures above are not UTC's by accident: UTC midnight is 4 hours off."""
    store = CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}")
    ingest_files(store, [str(write_focus_csv(tmp_path / "h.csv", ROWS))], FileKind.FOCUS)
    november_utc = BillingMonth(2026, 11, "UTC")
    utc = mtd_by_budget(CostQueries(store.backend), "UTC", november_utc)
    assert utc == expected_mtd("UTC", november_utc)
    assert utc != expected_mtd(NEW_YORK, BillingMonth(2026, 11, NEW_YORK))


def test_tag_keys_outside_a_zoned_rollup_fall_back_to_local_days_of_line_items(
    tmp_path: Path,
) -> None:
    store = CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}", timezone=KOLKATA)
    ingest_files(store, [str(write_focus_csv(tmp_path / "h.csv", ROWS))], FileKind.FOCUS)
    store.set_rollup_tag_keys(["Name"])
    assert store.rollup_layout().timezone == KOLKATA
    queries = CostQueries(store.backend)
    assert not queries._rollup_keeps_tags(S3_WEB.scope)
    november = BillingMonth(2026, 11, KOLKATA)
    assert mtd_by_budget(queries, KOLKATA, november) == expected_mtd(KOLKATA, november)


def _record(start: datetime, amount: str) -> CostRecord:
    return CostRecord(
        charge_period_start=start,
        charge_period_end=start + timedelta(days=1),
        billed_cost=Money.of(amount, "USD"),
        effective_cost=Money.of(amount, "USD"),
        provider_name="AWS",
        billing_account_id="100000000001",
        service_name="AWS Cost Explorer",
    )


def test_restating_a_utc_day_rerolls_the_local_days_it_touches(tmp_path: Path) -> None:
    """Cost Explorer days start at UTC midnight, 20:00 or 19:00 the evening before in New York:
    re-fetching one must leave the other UTC day sharing its local day intact."""
    store = CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}", timezone=NEW_YORK)
    oct31 = datetime(2026, 10, 31, tzinfo=UTC)
    nov1, nov2 = oct31 + timedelta(days=1), oct31 + timedelta(days=2)
    records = [_record(oct31, "10"), _record(nov1, "20"), _record(nov2, "40")]
    replace_days(store, "aws-ce", [oct31.date(), nov1.date(), nov2.date()], records)
    replace_days(store, "aws-ce", [nov1.date()], [_record(nov1, "25")])
    series = CostQueries(store.backend).spend_series(
        Scope(), oct31 - timedelta(days=1), nov2 + timedelta(days=2), "USD"
    )
    # Each UTC midnight falls on the previous New York evening.
    zone = BillingMonth(2026, 11, NEW_YORK).zone
    assert {p.start: p.amount for p in series.points if p.amount} == {
        local_midnight_utc(date(2026, 10, 30), zone): Decimal(10),
        local_midnight_utc(date(2026, 10, 31), zone): Decimal(25),
        local_midnight_utc(date(2026, 11, 1), zone): Decimal(40),
    }
    replace_days(store, "aws-ce", [nov1.date()], [])
    rollup = store.duckdb.execute("SELECT sum(BilledCost) FROM cost_daily").fetchone()
    assert rollup == (Decimal(50),)


def test_an_unknown_time_zone_is_refused_on_open(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Mars/Olympus"):
        CostStore.open(f"duckdb:///{tmp_path / 'c.duckdb'}", timezone="Mars/Olympus")


@pytest.mark.spark
def test_a_copied_rollup_in_another_zone_is_refused_not_misread(spark_backend: Any) -> None:
    spark_store = CostStore(spark_backend)
    spark_backend._session.createDataFrame(
        [("rollup_timezone", NEW_YORK)], "key string, value string"
    ).write.mode("overwrite").saveAsTable("cost_meta")
    with pytest.raises(UsageError, match="America/New_York"):
        spark_store.set_rollup_timezone(KOLKATA)


def test_cli_ingest_and_kpi_follow_the_billing_time_zone_of_finance_yaml(
    brctl: Any, installed_target: Path, hourly_csv: Path
) -> None:
    config = installed_target / "packs" / "finance" / "finance.yaml"
    text = config.read_text()
    config.write_text(text.replace("\ntimezone: UTC\n", f"\ntimezone: {KOLKATA}\n", 1))
    code, _, err = brctl("finance", "ingest", "focus", str(hourly_csv), "--format", "json")
    assert code == 0, err
    for month in ("2026-10", "2026-11"):
        code, out, err = brctl("finance", "kpi", "--month", month, "--format", "json")
        assert code == 0, err
        reports = {r["budget"]: r for r in json.loads(out)}
        expected = python_mtd(EVERYTHING, BillingMonth.parse(month, KOLKATA))
        assert Decimal(reports["total"]["mtd_spend"]) == expected.quantize(Decimal("0.01"))
